"""Signed webhook delivery, with controls to hold, drop, duplicate and reorder it.

Events go on a queue that one background thread POSTs to the configured URL, signed
as Stripe signs them: `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.payload">`.
The signature uses the wall clock, not the server clock, because receivers check it
against theirs. A delivery answered with a non-2xx status or a connection error is
retried a few times with short pauses (Stripe retries for days; a test cannot wait).

Modes: `deliver` sends at once; `hold` keeps events until `release()`, which sends
them in order, reversed or shuffled, optionally each twice; `drop` records the event
(it is still listed by `/v1/events`) but never sends it, like a lost delivery.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import queue
import random
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx

MODES = ("deliver", "hold", "drop")
ORDERS = ("in_order", "reverse", "shuffle")
RETRY_PAUSES = (0.05, 0.2, 0.5)


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass
class Delivery:
    event_id: str
    event_type: str
    attempts: int
    status: int | None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "attempts": self.attempts,
            "status": self.status,
            "error": self.error,
        }


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every dispatcher: building one reads the CA bundle (tens of
    milliseconds of CPU), and a test server is made for each test."""
    return ssl.create_default_context()


class WebhookDispatcher:
    def __init__(self, url: str | None = None, secret: str | None = None) -> None:
        self.url = url
        self.secret = secret
        self.mode = "deliver"
        self.held: list[dict[str, Any]] = []
        self.dropped: list[dict[str, Any]] = []
        self.deliveries: list[Delivery] = []
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0
        self._client = httpx.Client(timeout=10.0, verify=_tls())
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stripe-webhooks", daemon=True)
        self._thread.start()

    def configure(self, url: str | None, secret: str | None) -> None:
        with self._lock:
            self.url, self.secret = url, secret

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        with self._lock:
            self.mode = mode

    def enqueue(self, event: dict[str, Any]) -> None:
        with self._lock:
            if self.url is None:
                return
            event["pending_webhooks"] = 1
            if self.mode == "drop":
                self.dropped.append(event)
                return
            if self.mode == "hold":
                self.held.append(event)
                return
            self._put(event)

    def release(
        self, order: str = "in_order", duplicates: bool = False, seed: int | None = None
    ) -> int:
        """Send every held event; return how many deliveries were queued."""
        if order not in ORDERS:
            raise ValueError(f"order must be one of {', '.join(ORDERS)}")
        with self._lock:
            batch, self.held = self.held, []
            if order == "reverse":
                batch.reverse()
            elif order == "shuffle":
                random.Random(seed).shuffle(batch)
            if duplicates:
                batch = [event for event in batch for _ in range(2)]
            for event in batch:
                self._put(event)
            return len(batch)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until every queued delivery has been attempted."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
            return True

    def reset(self) -> None:
        with self._lock:
            self.mode = "deliver"
            self.held.clear()
            self.dropped.clear()
            self.deliveries.clear()

    def close(self) -> None:
        self._closing.set()  # no more retries: the receiver may be gone already
        self._queue.put(None)
        self._thread.join(timeout=5)
        self._client.close()

    def _put(self, event: dict[str, Any]) -> None:
        self._in_flight += 1
        self._queue.put(event)

    def _run(self) -> None:
        while True:
            event = self._queue.get()
            if event is None:
                return
            try:
                self._deliver(event)
            finally:
                with self._idle:
                    self._in_flight -= 1
                    self._idle.notify_all()

    def _deliver(self, event: dict[str, Any]) -> None:
        with self._lock:
            url, secret = self.url, self.secret
        if url is None:
            return
        payload = json.dumps(event, indent=2).encode()
        record = Delivery(event["id"], event["type"], 0, None)
        for pause in (*RETRY_PAUSES, None):
            record.attempts += 1
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            }
            if secret:
                headers["Stripe-Signature"] = sign(payload, secret, int(time.time()))
            if self._closing.is_set():
                break
            try:
                response = self._client.post(url, content=payload, headers=headers)
                record.status, record.error = response.status_code, None
                if response.is_success:
                    event["pending_webhooks"] = 0
                    break
            except httpx.HTTPError as exc:
                record.status, record.error = None, str(exc)
            if pause is not None and not self._closing.wait(pause):
                continue
            if pause is not None:
                break
        with self._lock:
            self.deliveries.append(record)
