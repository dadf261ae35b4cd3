"""POST /webhooks/stripe: signatures, the event store, duplicates."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.config import Settings, set_settings
from app.main import create_app
from app.models import WebhookEvent

SECRET = "whsec_endpoint_test"
OLD_SECRET = "whsec_endpoint_previous"


def signed(payload: bytes, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    stamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256)
    return {
        "Stripe-Signature": f"t={stamp},v1={mac.hexdigest()}",
        "content-type": "application/json",
    }


def event(event_id: str = "evt_1", kind: str = "customer.created") -> bytes:
    return json.dumps(
        {
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
    ).encode()


@pytest.fixture
def client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    chosen = settings.model_copy(update={"stripe_webhook_secret": f"{SECRET},{OLD_SECRET}"})
    set_settings(chosen)
    with TestClient(create_app(chosen)) as test_client:
        yield test_client


def stored(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as s:
        return [(e.stripe_event_id, e.state) for e in s.exec(select(WebhookEvent))]


def test_a_signed_event_is_stored_once(client: TestClient, engine: Engine) -> None:
    body = event()
    first = client.post("/webhooks/stripe", content=body, headers=signed(body))
    again = client.post("/webhooks/stripe", content=body, headers=signed(body))
    assert first.status_code == again.status_code == 200
    assert first.json() == {"received": True, "duplicate": False}
    assert again.json() == {"received": True, "duplicate": True}
    assert stored(engine) == [("evt_1", "ignored")]


def test_every_rotating_secret_is_accepted(client: TestClient, engine: Engine) -> None:
    body = event("evt_old")
    response = client.post("/webhooks/stripe", content=body, headers=signed(body, OLD_SECRET))
    assert response.status_code == 200


def test_handled_types_are_stored_pending_for_processing(
    client: TestClient, engine: Engine
) -> None:
    body = event("evt_2", "customer.updated")
    assert client.post("/webhooks/stripe", content=body, headers=signed(body)).status_code == 200
    assert stored(engine)[0][0] == "evt_2"


BAD = {
    "no header": lambda body: {"content-type": "application/json"},
    "wrong secret": lambda body: signed(body, "whsec_not_ours"),
    "tampered body": lambda body: signed(body.replace(b"cus_1", b"cus_2")),
    "too old": lambda body: signed(body, at=int(time.time()) - 301),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_signatures_are_400_and_store_nothing(
    client: TestClient, engine: Engine, case: str
) -> None:
    body = event()
    headers = BAD[case](body)
    sent = body if case != "tampered body" else body.replace(b"cus_1", b"cus_9")
    response = client.post("/webhooks/stripe", content=sent, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "WEBHOOK_INVALID"
    assert stored(engine) == []


def test_a_megabyte_of_garbage_is_400(client: TestClient, engine: Engine) -> None:
    garbage = os.urandom(1024 * 1024)
    response = client.post("/webhooks/stripe", content=garbage, headers=signed(garbage))
    assert response.status_code == 400
    assert stored(engine) == []


def test_a_malformed_secret_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="whsec_"):
        Settings(stripe_webhook_secret="not-a-secret", _env_file=None)  # type: ignore[call-arg]
