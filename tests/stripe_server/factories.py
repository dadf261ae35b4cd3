"""Factories for the test server's own tests: SDK calls that set up common objects,
and a webhook receiver that records what the server POSTs."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import stripe

DAY = 86_400
# Stripe finalizes (and charges) a renewal invoice about an hour after creating it.
HOUR = 3_600


def customer(client: stripe.StripeClient, *, card: str | None = "pm_card_visa") -> stripe.Customer:
    """A customer, by default with a Visa card as its invoice default payment method."""
    params: dict[str, Any] = {"email": "jenny@example.com", "name": "Jenny Rosen"}
    if card is not None:
        params["payment_method"] = card
        params["invoice_settings"] = {"default_payment_method": card}
    return client.v1.customers.create(params)  # type: ignore[arg-type]


def price(
    client: stripe.StripeClient,
    *,
    amount: int = 1000,
    interval: str = "month",
    name: str = "Pro",
    lookup_key: str | None = None,
) -> stripe.Price:
    product = client.v1.products.create({"name": name})
    params: dict[str, Any] = {
        "product": product.id,
        "unit_amount": amount,
        "currency": "usd",
        "recurring": {"interval": interval},
    }
    if lookup_key is not None:
        params["lookup_key"] = lookup_key
    return client.v1.prices.create(params)  # type: ignore[arg-type]


def subscription(
    client: stripe.StripeClient, customer_id: str, price_id: str, **extra: Any
) -> stripe.Subscription:
    params: dict[str, Any] = {"customer": customer_id, "items": [{"price": price_id}], **extra}
    return client.v1.subscriptions.create(params)  # type: ignore[arg-type]


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    """An HTTP endpoint on loopback that records every POST it gets."""

    status: int = 200
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.received.append(
                    Received({k.lower(): v for k, v in self.headers.items()}, body)
                )
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Keep test output clean."""

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}/webhooks/stripe"
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()
