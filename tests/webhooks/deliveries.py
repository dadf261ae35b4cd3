"""Signed Stripe deliveries for the endpoint's tests, and what the store then holds."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from app import jobs
from app.models import OutboxMessage, WebhookEvent

SECRET = "whsec_endpoint_test"
OLD_SECRET = "whsec_endpoint_previous"


def signed(payload: bytes, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    stamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256)
    return {
        "Stripe-Signature": f"t={stamp},v1={mac.hexdigest()}",
        "content-type": "application/json",
    }


def event_fields(event_id: str = "evt_1", kind: str = "customer.created") -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "api_version": "2026-10-28.endive",
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "data": {"object": {"id": "cus_1", "object": "customer"}},
    }


def event(event_id: str = "evt_1", kind: str = "customer.created") -> bytes:
    return json.dumps(event_fields(event_id, kind)).encode()


def stored(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as s:
        return [(e.stripe_event_id, e.state) for e in s.exec(select(WebhookEvent))]


def queued(engine: Engine) -> int:
    jobs.forget_sent_now()
    with Session(engine) as s:
        return int(s.exec(select(func.count()).select_from(OutboxMessage)).one())
