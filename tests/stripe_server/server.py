"""`StripeTestServer`: the stateful Stripe API on a loopback port, for the real SDK.

A `ThreadingHTTPServer` (no event loop to share with the code under test) serves
`/v1/...` like api.stripe.com, `/_test/...` test controls, and bare pages at the URLs
Stripe would send a customer to (a session's `url`, an invoice's
`hosted_invoice_url`). Use it as a context manager; `url` is what the service's
`STRIPE_API_BASE` (or `base_addresses={"api": url}`) should be.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from . import resources  # noqa: F401  (registers the API routes)
from .api import Api, Response
from .controls import Controls, page
from .forms import decode
from .state import Obj, State
from .webhooks import WebhookDispatcher


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request log lines on stderr."""

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without TCP_NODELAY the second waits
        # for the client's delayed ACK, some 40 ms per request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.connections.add(self.connection)

    def finish(self) -> None:
        self.server.connections.discard(self.connection)
        super().finish()

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            # The client went away mid-request (a killed worker): like Stripe, do nothing
            # with half a request rather than act on the parameters that did arrive.
            self.close_connection = True
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        owner = self.server.owner
        if parts.path.startswith("/_test/"):
            params = _control_body(headers, body)
            self._send_json(owner.controls.handle(method, parts.path, params))
        elif method == "GET" and parts.path.startswith(("/checkout/", "/i/")):
            self._send_page(parts.path)
        else:
            self._send_json(owner.api.handle(method, parts.path, parts.query, headers, body))

    def _send_json(self, response: Response) -> None:
        payload = json.dumps(response.body, indent=2).encode()
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _send_page(self, path: str) -> None:
        object_id = path.split("/")[2]
        state = self.server.owner.state
        with state.lock:
            obj = state.find(object_id)
        if obj is None or obj["object"] not in ("checkout.session", "invoice"):
            payload, status = b"Not found", 404
        else:
            payload, status = page(obj["object"], obj).encode(), 200
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def _control_body(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """Test controls take JSON, or a form (the buttons of the bare pages)."""
    text = body.decode("utf-8", errors="replace")
    if not headers.get("content-type", "").startswith("application/json"):
        return decode(text)
    try:
        loaded = json.loads(text or "{}")
    except json.JSONDecodeError:
        return {"_invalid": text}
    return loaded if isinstance(loaded, dict) else {"_invalid": text}


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # Many workers may connect at once (a bench run); the default backlog of 5 would
    # refuse some of them.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], owner: StripeTestServer) -> None:
        self.owner = owner
        self.connections: set[socket.socket] = set()
        super().__init__(address, _Handler)


class StripeTestServer:
    """A Stripe test server; start it with `with StripeTestServer() as server:`."""

    def __init__(
        self,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
    ) -> None:
        self.webhooks = WebhookDispatcher(webhook_url, webhook_secret)
        self._http = _HTTPServer((host, port), self)
        bound_host, bound_port = self._http.server_address[:2]
        self.url = f"http://{bound_host!s}:{bound_port}"
        self.state = State(self.url, self.webhooks.enqueue)
        self.api = Api(self.state, api_key)
        self.controls = Controls(self.state, self.api, self.webhooks)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._http.server_address[1])

    def start(self) -> StripeTestServer:
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._http.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        for connection in list(self._http.connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._http.server_close()
        self.webhooks.close()

    def __enter__(self) -> StripeTestServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # Test controls -------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every object, event, queued outcome and injected failure."""
        self.controls.reset()

    def now(self) -> int:
        return self.state.now()

    def advance_time(self, seconds: int) -> int:
        return self.controls.advance_time(seconds)

    def next_payment(self, outcome: str, count: int = 1) -> None:
        """Force the outcome ("succeed", "fail", "require_action", "processing") of the
        next payments."""
        self.controls.next_payment(outcome, count)

    def fail_next(
        self,
        status: int,
        count: int = 1,
        *,
        path: str | None = None,
        method: str | None = None,
        after_execution: bool = False,
    ) -> None:
        """Answer the next `count` API calls (optionally only those under `path`) with `status`."""
        self.controls.fail_next(
            status, count, path=path, method=method, after_execution=after_execution
        )

    def complete_checkout_session(
        self,
        session_id: str,
        *,
        payment_method: str = "pm_card_visa",
        promotion_code: str | None = None,
    ) -> Obj:
        return self.controls.complete_checkout_session(
            session_id, payment_method=payment_method, promotion_code=promotion_code
        )

    def expire_checkout_session(self, session_id: str) -> Obj:
        return self.controls.expire_checkout_session(session_id)

    def pay_invoice(
        self, invoice_id: str, *, outcome: str = "succeed", payment_method: str | None = None
    ) -> Obj:
        return self.controls.pay_invoice(invoice_id, outcome=outcome, payment_method=payment_method)

    def settle_payment(self, payment_intent_id: str, outcome: str = "succeed") -> Obj:
        """Make a `processing` payment succeed or fail (a bank debit clearing or returned)."""
        return self.controls.settle_payment(payment_intent_id, outcome)

    def set_retry_policy(
        self,
        days: list[int] | None = None,
        *,
        subscription_status: str | None = None,
        invoice_status: str | None = None,
    ) -> Obj:
        """Retry failed subscription payments `days` after each failed attempt; once the
        last fails the subscription becomes `subscription_status` ("past_due", "unpaid",
        "canceled") and the invoice `invoice_status` ("open", "uncollectible")."""
        return self.controls.set_retry_policy(
            days, subscription_status=subscription_status, invoice_status=invoice_status
        )

    def configure_webhooks(self, url: str | None, secret: str | None) -> None:
        self.webhooks.configure(url, secret)

    def set_webhook_mode(self, mode: str) -> None:
        self.webhooks.set_mode(mode)

    def release_webhooks(
        self, order: str = "in_order", *, duplicates: bool = False, seed: int | None = None
    ) -> int:
        return self.webhooks.release(order, duplicates, seed)

    def wait_for_webhooks(self, timeout: float = 5.0) -> bool:
        return self.webhooks.wait_idle(timeout)

    @property
    def deliveries(self) -> list[dict[str, Any]]:
        return [d.as_dict() for d in list(self.webhooks.deliveries)]

    def events(self, event_type: str | None = None) -> list[Obj]:
        """Recorded events, oldest first, optionally of one type."""
        with self.state.lock:
            return [e for e in self.state.events if event_type is None or e["type"] == event_type]

    def get(self, object_id: str) -> Obj:
        """An object as the API would return it (for assertions), or KeyError."""
        with self.state.lock:
            obj = self.state.find(object_id)
            if obj is None:
                raise KeyError(object_id)
            return self.state.render(obj)
