"""Deliveries stored in batches: each event once, handled ones queued, failures contained."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.billing.webhooks import ReceivedEvent
from app.config import Settings, set_settings
from app.environments import service as environments
from app.models import Environment, OutboxMessage, WebhookEvent
from app.models.base import utcnow
from tests.webhooks.deliveries import event, event_fields, queued, signed, stored
from webhooks import endpoint, intake, store
from workers import webhook_jobs

OWN_SECRET = "whsec_intake_own_account"


def received(event_id: str, kind: str = "customer.created") -> ReceivedEvent:
    return ReceivedEvent(
        id=event_id,
        type=kind,
        created=datetime(2026, 11, 1, tzinfo=UTC),
        object_id="cus_1",
        object_type="customer",
        account_environment_id=None,
    )


def test_a_batch_stores_each_event_once_and_queues_the_new_handled_ones(
    session: Session, engine: Engine
) -> None:
    store.record_batch(session, [received("evt_known", "invoice.paid")])
    session.commit()
    assert queued(engine) == 1
    batch = [
        received("evt_paid", "invoice.paid"),
        received("evt_paid", "invoice.paid"),
        received("evt_other", "customer.created"),
        received("evt_known", "invoice.paid"),
    ]
    assert store.record_batch(session, batch) == [True, False, True, False]
    session.commit()
    assert sorted(stored(engine)) == [
        ("evt_known", "pending"),
        ("evt_other", "ignored"),
        ("evt_paid", "pending"),
    ]
    # One message per batch, naming the batch's new handled events.
    assert queued(engine) == 2
    assert sorted(
        [stripe_id(engine, row_id) for row_id in arguments["event_ids"]]
        for arguments in outbox_arguments(engine)
    ) == [["evt_known"], ["evt_paid"]]


def stripe_id(engine: Engine, row_id: str) -> str:
    with Session(engine) as s:
        row = s.get(WebhookEvent, row_id)
        assert row is not None
        return row.stripe_event_id


def outbox_arguments(engine: Engine) -> list[dict[str, Any]]:
    with Session(engine) as s:
        return [
            row.arguments
            for row in s.exec(select(OutboxMessage))
            if row.actor_name == store.PROCESS_BATCH_ACTOR
        ]


def test_a_batch_message_makes_a_processing_job_of_each_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[tuple[str, dict[str, Any]]] = []
    broker = StubBroker()
    for fn, options in webhook_jobs.ACTORS:
        dramatiq.actor(fn, broker=broker, **options)
    monkeypatch.setattr(broker, "enqueue", lambda m, **_: sent.append((m.actor_name, m.kwargs)))
    monkeypatch.setattr(dramatiq, "get_broker", lambda: broker)

    webhook_jobs.process_events(["ev_1", "ev_2", "ev_3"])

    assert sent == [(store.PROCESS_ACTOR, {"event_id": f"ev_{n}"}) for n in (1, 2, 3)]


def test_an_event_stored_by_another_transaction_meanwhile_is_not_inserted_again(
    session: Session, engine: Engine
) -> None:
    store.record_batch(session, [received("evt_raced")])
    session.commit()
    # Another transaction committed it first: the insert itself skips it.
    assert store._insert_new(session, [store._values(received("evt_raced"), utcnow())]) == set()
    session.commit()
    assert stored(engine) == [("evt_raced", "ignored")]


def test_deliveries_waiting_together_are_stored_in_one_transaction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    batches: list[list[str]] = []

    def store_batch(events: list[ReceivedEvent]) -> list[bool]:
        batches.append([e.id for e in events])
        return [True] * len(events)

    monkeypatch.setattr(intake, "_store_batch", store_batch)

    async def deliver() -> list[bool]:
        waiting = intake.Intake()
        return await asyncio.gather(*(waiting.store(received(f"evt_{n}")) for n in range(10)))

    assert asyncio.run(deliver()) == [True] * 10
    assert batches == [[f"evt_{n}" for n in range(10)]]


def test_a_delivery_right_after_a_batch_is_written_starts_a_writer_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(intake, "MAX_WRITERS", 1)
    monkeypatch.setattr(intake, "_store_batch", lambda events: [True] * len(events))

    async def one_after_another() -> list[bool]:
        waiting = intake.Intake()
        first = await waiting.store(received("evt_first"))
        # Its writer has answered but not finished: this one needs a writer of its own.
        async with asyncio.timeout(10):  # in this task: wait_for would start another
            second = await waiting.store(received("evt_second"))
        return [first, second]

    assert asyncio.run(one_after_another()) == [True, True]


def test_a_batch_that_fails_is_stored_event_by_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def store_batch(_events: list[ReceivedEvent]) -> list[bool]:
        raise RuntimeError("the batch could not be written")

    def store_one(event: ReceivedEvent) -> bool:
        if event.id == "evt_bad":
            raise ValueError("this event cannot be stored")
        return True

    monkeypatch.setattr(intake, "_store_batch", store_batch)
    monkeypatch.setattr(intake, "_store_one", store_one)

    async def deliver() -> list[bool | BaseException]:
        waiting = intake.Intake()
        ids = ["evt_a", "evt_bad", "evt_b"]
        return await asyncio.gather(
            *(waiting.store(received(i)) for i in ids), return_exceptions=True
        )

    first, bad, last = asyncio.run(deliver())
    assert (first, last) == (True, True)
    assert isinstance(bad, ValueError)


def test_concurrent_distinct_deliveries_are_each_stored_and_queued(
    client: TestClient, engine: Engine
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    ids = [f"evt_burst_{n}" for n in range(12)]

    def deliver(event_id: str) -> tuple[int, bool]:
        body = event(event_id, "invoice.paid")
        response = client.post("/webhooks/stripe", content=body, headers=signed(body))
        return response.status_code, response.json().get("duplicate")

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(deliver, ids))
    assert answers == [(200, False)] * 12
    rows = stored(engine)
    assert sorted(event_id for event_id, _ in rows) == sorted(ids)
    # Each was stored for processing (the in-process worker may have taken it since).
    assert "ignored" not in {state for _, state in rows}


def test_a_secret_given_to_an_environment_is_used_once_the_accounts_are_read_again(
    client: TestClient,
    session: Session,
    environment: Environment,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_settings(settings.model_copy(update={"secret_key": "test-secret-for-sealing"}))
    now = [1000.0]
    monkeypatch.setattr(endpoint, "monotonic", lambda: now[0])
    body = json.dumps(event_fields("evt_own_account")).encode()
    headers = signed(body, OWN_SECRET)
    # Read once (the default account only), then the environment gets its own account.
    assert client.post("/webhooks/stripe", content=body, headers=headers).status_code == 400
    environments.set_stripe_credentials(
        session, environment.name, "sk_test_intake_own_account", [OWN_SECRET]
    )
    session.commit()
    now[0] += endpoint.ACCOUNTS_SECONDS + 0.01
    answer = client.post("/webhooks/stripe", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
