"""The failure record, its CLI, and events that arrive before their local row."""

from __future__ import annotations

from datetime import UTC, datetime

import dramatiq
import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from app.billing.webhooks import ReceivedEvent
from app.cli import app as cli
from app.models import WebhookEvent
from webhooks import handlers, store
from workers.webhook_jobs import EventFailed, process_event

runner = CliRunner()


def stored_event(session: Session, kind: str = "customer.updated") -> WebhookEvent:
    row, _ = store.record(
        session,
        ReceivedEvent(
            id="evt_fail_1",
            type=kind,
            created=datetime.now(UTC),
            object_id="cus_x",
            object_type="customer",
        ),
    )
    session.commit()
    return row


@pytest.fixture
def broken_customer_handler(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []

    def broken(event: WebhookEvent) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("billing provider answered nonsense")

    monkeypatch.setitem(handlers.HANDLERS, "customer.updated", broken)
    return calls


@pytest.mark.usefixtures("broken_customer_handler")
def test_a_failing_handler_is_recorded_and_retried(session: Session, settings: object) -> None:
    from workers.broker import build_broker

    build_broker(settings)  # type: ignore[arg-type]
    row = stored_event(session)
    with pytest.raises(EventFailed):
        process_event(row.id)
    session.expire_all()
    failed = session.get(WebhookEvent, row.id)
    assert failed is not None
    assert (failed.state, failed.attempts) == ("failed", 1)
    assert "nonsense" in (failed.last_error or "")
    assert process_event(row.id) == "processed"


@pytest.mark.usefixtures("broken_customer_handler")
def test_cli_lists_and_replays_failed_events(session: Session, settings: object) -> None:
    from workers.broker import build_broker

    build_broker(settings)  # type: ignore[arg-type]
    row = stored_event(session)
    with pytest.raises(EventFailed):
        process_event(row.id)
    listed = runner.invoke(cli, ["webhooks", "list", "--failed"])
    assert listed.exit_code == 0
    assert "evt_fail_1" in listed.stdout
    replayed = runner.invoke(cli, ["webhooks", "replay", "--failed"])
    assert replayed.exit_code == 0, replayed.output
    assert "evt_fail_1: processed" in replayed.stdout
    session.expire_all()
    assert session.get(WebhookEvent, row.id).state == "processed"  # type: ignore[union-attr]


def test_an_event_before_its_local_row_is_retried_later(
    session: Session, settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workers.broker import build_broker

    build_broker(settings)  # type: ignore[arg-type]

    def not_yet(event: WebhookEvent) -> None:
        raise handlers.NotYetKnown("subscription not stored yet")

    monkeypatch.setitem(handlers.HANDLERS, "customer.updated", not_yet)
    row = stored_event(session)
    with pytest.raises(dramatiq.Retry):
        process_event(row.id)
    session.expire_all()
    assert session.get(WebhookEvent, row.id).state == "pending"  # type: ignore[union-attr]


def test_events_about_objects_that_are_not_ours_are_ignored(
    session: Session, settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workers.broker import build_broker

    build_broker(settings)  # type: ignore[arg-type]

    def foreign(event: WebhookEvent) -> None:
        raise handlers.NotOurs("cus_x")

    monkeypatch.setitem(handlers.HANDLERS, "customer.updated", foreign)
    row = stored_event(session)
    assert process_event(row.id) == "ignored"
