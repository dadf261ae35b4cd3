"""Stripe's HTTP requests on connections each thread keeps open, through ``http.client``.

The SDK's default client goes through requests and urllib3, about half a millisecond of
Python per request on top of the request itself: a checkout call makes two while a user
waits. This one sends the SDK's request as it is built (method, URL, headers, form body)
on a connection kept per thread and host, and hands back the body, status and headers;
the SDK still does everything else (retries, idempotency keys, errors). A connection the
server closed while idle is noticed before it is used again, as urllib3 does.

Proxies are requests' business: ``client_for`` picks requests' client whenever the
environment names one (HTTPS_PROXY and the rest, which requests honours).
"""

from __future__ import annotations

import functools
import http.client
import select
import ssl
import textwrap
import threading
import urllib.request
from collections.abc import Mapping
from typing import Any, NoReturn
from urllib.parse import SplitResult, urlsplit

import stripe
from requests.structures import CaseInsensitiveDict
from stripe import APIConnectionError

# As the SDK's own clients wait for Stripe.
TIMEOUT_SECONDS = 80.0

_Key = tuple[str, str]  # (scheme, host:port)


class KeepAliveClient(stripe.HTTPClient):
    name = "http.client"

    def __init__(self, timeout: float = TIMEOUT_SECONDS) -> None:
        super().__init__()
        self._timeout = timeout
        self._local = threading.local()

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[Any, int, Mapping[str, str]]:
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        body = post_data.encode() if isinstance(post_data, str) else post_data
        try:
            connection = self._connection(key, parts)
            connection.request(method.upper(), target, body=body, headers=dict(headers or {}))
            response = connection.getresponse()
            content = response.read()
        except BaseException as exc:
            # Half a request or an unread answer leaves the connection unusable.
            self._drop(key)
            if not isinstance(exc, Exception):
                raise  # an interruption (a job's time limit, say): not a network error
            _raise(exc)
        if response.will_close:
            self._drop(key)
        return content, response.status, CaseInsensitiveDict(response.getheaders())

    def request_stream(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[Any, int, Mapping[str, str]]:
        raise NotImplementedError("billing-sync reads no streamed Stripe responses")

    def close(self) -> None:
        """Close the calling thread's connections."""
        for key in list(self._connections()):
            self._drop(key)

    def _connections(self) -> dict[_Key, http.client.HTTPConnection]:
        found: dict[_Key, http.client.HTTPConnection] | None = getattr(
            self._local, "connections", None
        )
        if found is None:
            found = self._local.connections = {}
        return found

    def _connection(self, key: _Key, parts: SplitResult) -> http.client.HTTPConnection:
        connections = self._connections()
        connection = connections.get(key)
        if connection is not None and _dropped(connection):
            self._drop(key)
            connection = None
        if connection is None:
            host = parts.hostname or ""
            if parts.scheme == "https":
                connection = http.client.HTTPSConnection(
                    host, parts.port, timeout=self._timeout, context=_tls()
                )
            else:
                connection = http.client.HTTPConnection(host, parts.port, timeout=self._timeout)
            connections[key] = connection
        return connection

    def _drop(self, key: _Key) -> None:
        connection = self._connections().pop(key, None)
        if connection is not None:
            connection.close()


@functools.cache
def _tls() -> ssl.SSLContext:
    """The TLS context of every connection, verifying with the SDK's CA bundle (as its
    own clients do); built on first use, since reading the bundle takes milliseconds."""
    return ssl.create_default_context(cafile=stripe.ca_bundle_path)


def _dropped(connection: http.client.HTTPConnection) -> bool:
    """Whether a kept connection can no longer be used: the server closed it (or sent
    something unasked), which shows as the socket being readable while idle."""
    sock = connection.sock
    if sock is None:
        return False  # not connected yet: connects on its next request
    try:
        # poll, not select: select refuses descriptors past 1024.
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


def _raise(exc: Exception) -> NoReturn:
    """The SDK's error for a failed request: a connection that failed or timed out may be
    retried (every POST carries an idempotency key); TLS that failed (a certificate, a
    protocol) may not."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        message = (
            "Could not verify Stripe's SSL certificate. Please make sure that your network "
            "is not intercepting certificates."
        )
        retry = False
    elif isinstance(exc, ssl.SSLError):
        message = "Could not set up TLS with Stripe."
        retry = False
    elif isinstance(exc, OSError | http.client.HTTPException):
        message = "Unexpected error communicating with Stripe."
        retry = True
    else:
        message = "Unexpected error communicating with Stripe: a local configuration problem."
        retry = False
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    raise APIConnectionError(  # type: ignore[no-untyped-call]
        textwrap.fill(message) + f"\n\n(Network error: {detail})", should_retry=retry
    ) from exc


def client_for() -> stripe.HTTPClient:
    """The HTTP client of a StripeClient: requests' when the environment names a proxy,
    which requests honours, else ``KeepAliveClient``. NO_PROXY alone names none."""
    proxies = urllib.request.getproxies()
    if any(proxies.get(scheme) for scheme in ("https", "http", "all")):
        return stripe.RequestsClient()
    return KeepAliveClient()
