"""POST /webhooks/stripe: signatures, the event store, duplicates."""

from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.config import Settings
from tests.webhooks.deliveries import OLD_SECRET, event, signed, stored
from webhooks import store


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


def _deliver_in_chunks(
    client: TestClient, chunks: int, chunk_size: int, declared: int | None = None
) -> tuple[int, dict[str, Any], int]:
    """POST ``chunks`` chunks straight to the ASGI app; (status, body, chunks it read)."""
    read = 0
    sent: list[dict[str, Any]] = []
    headers = [(b"stripe-signature", b"t=1,v1=00"), (b"content-type", b"application/json")]
    if declared is not None:
        headers.append((b"content-length", str(declared).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/webhooks/stripe",
        "raw_path": b"/webhooks/stripe",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }

    async def receive() -> dict[str, Any]:
        nonlocal read
        if read == chunks:
            return {"type": "http.disconnect"}
        read += 1
        return {"type": "http.request", "body": b" " * chunk_size, "more_body": read < chunks}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    anyio.run(client.app, scope, receive, send)  # type: ignore[arg-type]
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body), read


def test_an_oversized_body_is_refused_while_it_is_read(client: TestClient) -> None:
    status, body, read = _deliver_in_chunks(client, chunks=256, chunk_size=64 * 1024)
    assert status == 413
    assert body["error"]["code"] == "PAYLOAD_TOO_LARGE"
    # 1 MiB is 16 chunks: the 17th goes over, and nothing after it is read.
    assert read == 17


def test_a_declared_length_over_the_limit_is_refused_before_reading(client: TestClient) -> None:
    status, body, read = _deliver_in_chunks(
        client, chunks=256, chunk_size=64 * 1024, declared=256 * 64 * 1024
    )
    assert (status, body["error"]["code"], read) == (413, "PAYLOAD_TOO_LARGE", 0)


def test_a_body_of_exactly_the_limit_is_read(client: TestClient) -> None:
    status, body, read = _deliver_in_chunks(client, chunks=16, chunk_size=64 * 1024)
    # Read whole, then refused for its signature, not its size.
    assert (status, body["error"]["code"], read) == (400, "WEBHOOK_INVALID", 16)


def test_a_delivery_that_loses_the_race_to_store_answers_duplicate(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = event("evt_race")
    assert client.post("/webhooks/stripe", content=body, headers=signed(body)).status_code == 200
    # The second delivery looked before the first one's row was there.
    monkeypatch.setattr(store, "by_stripe_id", lambda _session, _id: None)
    again = client.post("/webhooks/stripe", content=body, headers=signed(body))
    assert again.status_code == 200, again.text
    assert again.json() == {"received": True, "duplicate": True}
    assert stored(engine) == [("evt_race", "ignored")]


def test_concurrent_deliveries_of_one_event_all_succeed(client: TestClient, engine: Engine) -> None:
    ids = [f"evt_together_{n}" for n in range(4)]
    deliveries = [event(i) for i in ids for _ in range(2)]
    start = threading.Barrier(len(deliveries))

    def deliver(body: bytes) -> tuple[int, bool]:
        start.wait()
        response = client.post("/webhooks/stripe", content=body, headers=signed(body))
        return response.status_code, response.json().get("duplicate")

    with ThreadPoolExecutor(len(deliveries)) as pool:
        answers = list(pool.map(deliver, deliveries))
    assert [status for status, _ in answers] == [200] * len(deliveries)
    assert sorted(duplicate for _, duplicate in answers) == [False] * 4 + [True] * 4
    assert sorted(stored(engine)) == [(i, "ignored") for i in ids]
