"""Stripe's requests on kept connections (app.billing.http): one connection for a
thread's requests, a connection the server closed replaced before it is used, failures
told apart as the SDK retries them, and requests' client wherever a proxy is named."""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import stripe

from app.billing.http import KeepAliveClient, _raise, client_for


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, close_after_answer: bool) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.connections = 0
        self.requests: list[dict[str, Any]] = []
        self.close_after_answer = close_after_answer
        self.answers: list[tuple[int, dict[str, str]]] = []


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.connections += 1

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode()
        self.server.requests.append(
            {"path": self.path, "body": body, "key": self.headers.get("Idempotency-Key")}
        )
        status, headers = self.server.answers.pop(0) if self.server.answers else (200, {})
        payload = json.dumps(
            {"id": "cus_1", "object": "customer"}
            if status == 200
            else {"error": {"type": "api_error", "message": "try again"}}
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()
        if self.server.close_after_answer:
            # Closed while the client keeps the connection, as an idle timeout does.
            self.close_connection = True

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def _serving(*, close_after_answer: bool = False) -> Iterator[_Server]:
    server = _Server(close_after_answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _client(server_url: str, retries: int = 0) -> stripe.StripeClient:
    return stripe.StripeClient(
        "sk_test_http",
        base_addresses={"api": server_url},
        max_network_retries=retries,
        http_client=KeepAliveClient(timeout=5),
    )


def _url(server: _Server) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}"


def test_a_threads_requests_share_one_connection_and_arrive_whole() -> None:
    with _serving() as server:
        client = _client(_url(server))
        for number in range(3):
            made = client.v1.customers.create(
                {"metadata": {"n": str(number), "name": "Zoë & co"}},
                {"idempotency_key": f"key-{number}"},
            )
            assert made.id == "cus_1"

    assert server.connections == 1
    assert [r["key"] for r in server.requests] == ["key-0", "key-1", "key-2"]
    assert server.requests[0]["path"] == "/v1/customers"
    assert "metadata[name]=Zo%C3%AB+%26+co" in server.requests[0]["body"]


def test_a_connection_the_server_closed_is_replaced_before_it_is_used() -> None:
    with _serving(close_after_answer=True) as server:
        client = _client(_url(server))
        first = client.v1.customers.create({}, {"idempotency_key": "one"})
        # Let the server's close reach this side before the next request.
        threading.Event().wait(0.1)
        second = client.v1.customers.create({}, {"idempotency_key": "two"})

    assert (first.id, second.id) == ("cus_1", "cus_1")
    assert server.connections == 2
    assert [r["key"] for r in server.requests] == ["one", "two"]


def test_the_sdk_reads_status_and_headers_to_retry() -> None:
    with _serving() as server:
        server.answers = [(409, {}), (500, {"Stripe-Should-Retry": "false"})]
        client = _client(_url(server), retries=2)
        # A conflict is retried (same key); Stripe's "do not retry" is obeyed.
        with pytest.raises(stripe.APIError):
            client.v1.customers.create({}, {"idempotency_key": "same"})

    assert [r["key"] for r in server.requests] == ["same", "same"]


def test_a_refused_connection_may_be_retried() -> None:
    client = _client(f"http://127.0.0.1:{_unused_port()}")
    with pytest.raises(stripe.APIConnectionError) as refused:
        client.v1.customers.create({}, {"idempotency_key": "k"})
    assert refused.value.should_retry


def test_a_certificate_that_fails_is_not_retried() -> None:
    with pytest.raises(stripe.APIConnectionError) as failed:
        _raise(ssl.SSLCertVerificationError("certificate verify failed"))
    assert not failed.value.should_retry
    assert "certificate" in str(failed.value)


def test_a_proxy_in_the_environment_is_left_to_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    for scheme in ("HTTPS", "HTTP", "ALL", "NO"):
        monkeypatch.delenv(f"{scheme}_PROXY", raising=False)
        monkeypatch.delenv(f"{scheme.lower()}_proxy", raising=False)
    assert isinstance(client_for(), KeepAliveClient)
    # Exceptions alone name no proxy (containers often set it).
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    assert isinstance(client_for(), KeepAliveClient)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    assert isinstance(client_for(), stripe.RequestsClient)


def test_tls_that_fails_is_not_retried() -> None:
    with pytest.raises(stripe.APIConnectionError) as failed:
        _raise(ssl.SSLError("wrong version number"))
    assert not failed.value.should_retry


def test_an_interrupted_request_leaves_no_half_used_connection() -> None:
    """A job's time limit (an exception outside Exception) stops a request midway: the
    interruption goes on as it is, and the thread's next request gets a new connection."""

    class Interrupted(BaseException):
        pass

    with _serving() as server:
        client = KeepAliveClient(timeout=5)
        url = f"{_url(server)}/v1/customers"
        client.request("post", url, {"Content-Length": "0"}, "")
        connection = next(iter(client._connections().values()))
        original = connection.getresponse

        def interrupted() -> Any:
            raise Interrupted

        connection.getresponse = interrupted  # type: ignore[method-assign]
        with pytest.raises(Interrupted):
            client.request("post", url, {}, "a=1")
        connection.getresponse = original  # type: ignore[method-assign]
        content, status, _headers = client.request("post", url, {}, "a=2")

    assert status == 200 and b"cus_1" in content
    assert server.connections == 2
