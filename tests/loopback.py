"""HTTP to the services tests start on loopback (``billing-sync serve``, the Stripe test
server): one client for the process. ``httpx.get`` and a new ``httpx.Client`` each build a
TLS context, which reads the CA bundle: tens of milliseconds of CPU a call, where a test
polls a starting service every tenth of a second or makes hundreds of calls."""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def tls() -> ssl.SSLContext:
    """The TLS context every test client shares (built once, on first use)."""
    return ssl.create_default_context()


# No kept-alive connections: a port a stopped service used may be handed to the next one.
LOOPBACK = httpx.Client(verify=tls(), limits=httpx.Limits(max_keepalive_connections=0))
