"""Hostile and careless deliveries to POST /webhooks/stripe.

Every one is answered with a 4xx and a JSON error naming the problem, never a 500, a
stack trace or a secret. Nothing is stored for it, except that a validly signed event
whose id is usable is kept as failed (so an operator sees it), and nothing is queued.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.config import Settings, set_settings
from app.main import create_app
from app.models import WebhookEvent
from tests.webhooks.deliveries import (
    OLD_SECRET,
    SECRET,
    event,
    event_fields,
    queued,
    signed,
    stored,
)
from webhooks.processing import process

NOW = int(time.time())
YEAR = 365 * 24 * 3600


def fields(**changes: Any) -> bytes:
    """An event with fields replaced (or removed, when the value is ``...``)."""
    chosen = event_fields("evt_hostile")
    for name, value in changes.items():
        if value is ...:
            chosen.pop(name)
        else:
            chosen[name] = value
    return json.dumps(chosen).encode()


def about(**changes: Any) -> bytes:
    chosen = event_fields("evt_hostile")
    chosen["data"]["object"].update(changes)
    return json.dumps(chosen).encode()


@dataclass(frozen=True)
class Case:
    body: bytes
    # Headers for the body; signed with the endpoint's secret, now, by default.
    headers: Callable[[bytes], dict[str, Any]] = signed
    status: int = 400
    code: str = "WEBHOOK_MALFORMED"
    # The id kept as a failed event, when the event's id is usable.
    failed_id: str | None = None


def failed(body: bytes) -> Case:
    return Case(body, failed_id="evt_hostile")


def unsigned(code: str = "WEBHOOK_INVALID", **headers: Any) -> Case:
    return Case(event("evt_hostile"), lambda _body: headers, code=code)


def stamped(at: int | str | None = None, *, ahead: int = 0) -> Case:
    """Signed with the right secret, at a time written as ``at`` (or now + ``ahead``)."""

    def headers(body: bytes) -> dict[str, Any]:
        if at is None:
            return signed(body, at=int(time.time()) + ahead)
        mac = hmac.new(SECRET.encode(), f"{at}.".encode() + body, hashlib.sha256)
        return {"Stripe-Signature": f"t={at},v1={mac.hexdigest()}"}

    return Case(event("evt_hostile"), headers, code="WEBHOOK_INVALID")


CASES: dict[str, Case] = {
    # Bodies that are no JSON object at all.
    "empty body": Case(b""),
    "not JSON": Case(b"hello"),
    "truncated JSON": Case(event("evt_hostile")[:-5]),
    "a JSON array": Case(b"[]"),
    "an array holding an event": Case(b"[" + event("evt_hostile") + b"]"),
    "a JSON string": Case(b'"evt_hostile"'),
    "a JSON number": Case(b"42"),
    "JSON null": Case(b"null"),
    "JSON true": Case(b"true"),
    "nested 100,000 deep": Case(b"[" * 100_000 + b"]" * 100_000),
    "a 5,000-digit number": Case(b'{"id": "evt_hostile", "created": ' + b"9" * 5000 + b"}"),
    "invalid UTF-8": Case(b'{"id": "evt_\xff\xfe"}', code="WEBHOOK_INVALID"),
    # Objects without a usable id: nothing to record.
    "an empty object": Case(b"{}"),
    "no id": Case(fields(id=...)),
    "a numeric id": Case(fields(id=12345)),
    "an empty id": Case(fields(id="")),
    "a list as id": Case(fields(id=["evt_hostile"])),
    "an id of 256 characters": Case(fields(id="evt_" + "x" * 252)),
    "an id with a NUL": Case(fields(id="evt_\u0000hostile")),
    "an id with a newline": Case(fields(id="evt_\nhostile")),
    # A usable id, the rest unusable: kept as failed.
    "no type": failed(fields(type=...)),
    "a numeric type": failed(fields(type=7)),
    "an empty type": failed(fields(type="")),
    "a type of 101 characters": failed(fields(type="t" * 101)),
    "a type with a NUL": failed(fields(type="customer.\u0000updated")),
    "no created": failed(fields(created=...)),
    "a string created": failed(fields(created=str(NOW))),
    "a fractional created": failed(fields(created=NOW + 0.5)),
    "a boolean created": failed(fields(created=True)),
    "a negative created": failed(fields(created=-1)),
    "a created past the year 9999": failed(fields(created=10**30)),
    "no data": failed(fields(data=...)),
    "data as a string": failed(fields(data="cus_1")),
    "data.object as a list": failed(fields(data={"object": ["cus_1"]})),
    "an object id of 256 characters": failed(about(id="cus_" + "x" * 252)),
    "an object id with a NUL": failed(about(id="cus_\u0000")),
    "a numeric object id": failed(about(id=1)),
    "an object type of 65 characters": failed(about(object="o" * 65)),
    # Signatures.
    "no signature": unsigned(**{"content-type": "application/json"}),
    "an empty signature": unsigned(**{"Stripe-Signature": ""}),
    "a nonsense signature": unsigned(**{"Stripe-Signature": "nonsense"}),
    "a timestamp that is no number": unsigned(**{"Stripe-Signature": "t=abc,v1=00"}),
    "a signature in another scheme": unsigned(**{"Stripe-Signature": f"t={NOW},v0=00"}),
    "a non-ASCII signature": unsigned(**{"Stripe-Signature": f"t={NOW},v1=\u00e9".encode()}),
    "a wrong secret": Case(
        event("evt_hostile"), lambda body: signed(body, "whsec_not_ours"), code="WEBHOOK_INVALID"
    ),
    # Well past the tolerance (300 s): the request is checked a moment after it is
    # signed, and whole seconds are compared. The exact bound is checked on a given
    # clock in test_signature_tolerance.py.
    "a timestamp 330 s old": stamped(ahead=-330),
    "a timestamp 330 s ahead": stamped(ahead=330),
    "a timestamp a year ahead": stamped(ahead=YEAR),
    "a timestamp of 31 digits": stamped(10**30),
    "a timestamp of 5,000 digits": stamped("9" * 5000),
    # Size.
    "a body over 1 MiB": Case(
        b" " * (1024 * 1024) + event("evt_hostile"), status=413, code="PAYLOAD_TOO_LARGE"
    ),
}


@pytest.fixture(scope="module")
def endpoint() -> FastAPI:
    """The service, built once for the module: none of these requests queues a job."""
    return create_app(_settings())


def _settings() -> Settings:
    return Settings(
        app_env="test",
        log_format="json",
        database_url="sqlite://",
        stripe_webhook_secret=f"{SECRET},{OLD_SECRET}",
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def client(engine: Engine, endpoint: FastAPI) -> TestClient:
    """No lifespan, so no worker to start and stop for each case."""
    set_settings(_settings())
    return TestClient(endpoint)


def leaks(text: str) -> list[str]:
    found = [s for s in (SECRET, OLD_SECRET, "whsec_") if s in text]
    return found + [s for s in ("Traceback", 'File "', "sqlalchemy", "psycopg") if s in text]


@pytest.mark.parametrize("name", list(CASES))
def test_a_hostile_delivery_is_refused_clearly(
    client: TestClient, engine: Engine, name: str
) -> None:
    case = CASES[name]
    response = client.post("/webhooks/stripe", content=case.body, headers=case.headers(case.body))
    assert response.status_code == case.status, response.text
    error = response.json()["error"]
    assert error["code"] == case.code
    assert isinstance(error["message"], str) and error["message"]
    assert leaks(response.text) == []
    expected = [] if case.failed_id is None else [(case.failed_id, "failed")]
    assert stored(engine) == expected
    assert queued(engine) == 0


def test_a_failed_record_names_the_problem(client: TestClient, engine: Engine) -> None:
    body = fields(created="yesterday")
    response = client.post("/webhooks/stripe", content=body, headers=signed(body))
    assert response.json()["error"]["message"] == (
        "the event's created must be a Unix timestamp (an integer)"
    )
    with Session(engine) as s:
        row = s.exec(select(WebhookEvent)).one()
    assert (row.stripe_event_id, row.state, row.processed_at) == ("evt_hostile", "failed", None)
    assert (
        row.last_error
        == "malformed event: the event's created must be a Unix timestamp (an integer)"
    )


def test_a_malformed_copy_of_a_stored_event_changes_nothing(
    client: TestClient, engine: Engine
) -> None:
    good = event("evt_hostile")
    assert client.post("/webhooks/stripe", content=good, headers=signed(good)).status_code == 200
    before = stored(engine)
    bad = fields(type=...)
    response = client.post("/webhooks/stripe", content=bad, headers=signed(bad))
    assert response.status_code == 400
    assert stored(engine) == before == [("evt_hostile", "ignored")]


def test_a_malformed_event_sent_twice_is_recorded_once(client: TestClient, engine: Engine) -> None:
    bad = fields(created=...)
    for _ in range(2):
        assert client.post("/webhooks/stripe", content=bad, headers=signed(bad)).status_code == 400
    assert stored(engine) == [("evt_hostile", "failed")]


def test_replaying_a_malformed_event_marks_it_ignored(client: TestClient, engine: Engine) -> None:
    bad = fields(type=...)
    assert client.post("/webhooks/stripe", content=bad, headers=signed(bad)).status_code == 400
    with Session(engine) as s:
        row = s.exec(select(WebhookEvent)).one()
    assert process(row.id) == "ignored"
    assert stored(engine) == [("evt_hostile", "ignored")]
