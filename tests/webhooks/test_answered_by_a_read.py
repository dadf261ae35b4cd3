"""One read of a subscription answers the events about it stored before the read began,
and a read that began earlier is not applied over a later one."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import stripe
from sqlalchemy import Engine
from sqlmodel import Session

from app.billing import reconcile
from app.billing.subscriptions import record_invoice
from app.billing.webhooks import ReceivedEvent
from app.customers.service import provision_customer
from app.db import unit_of_work
from app.models import Environment, Subscription, WebhookEvent
from app.subscriptions import service
from tests.stripe_server.server import StripeTestServer
from webhooks import store
from webhooks.processing import process
from workers import billing as billing_jobs

DAY = 24 * 3600
counter = itertools.count()


@pytest.fixture
def paid(
    session: Session,
    environment: Environment,
    stripe_server: StripeTestServer,
    catalog: None,
    broker: None,
) -> tuple[str, str]:
    """An active paid subscription linked to Stripe's: (local id, Stripe id)."""
    provision_customer(session, environment, {"customerId": "c-1"})
    outcome = service.provision_subscription(
        session, environment, {"customerId": "c-1", "planId": "basic", "billingPeriod": "MONTHLY"}
    )
    session.commit()
    local = outcome.subscription.id
    billing_jobs.create_checkout(local, {})
    session.expire_all()
    checkout_id = session.get(Subscription, local).checkout_billing_id  # type: ignore[union-attr]
    stripe_server.complete_checkout_session(str(checkout_id))
    reconcile.reconcile_checkout(local)
    session.expire_all()
    found = session.get(Subscription, local)
    assert found is not None and found.status == "ACTIVE" and found.billing_id
    return local, found.billing_id


def stored(engine: Engine, billing_id: str, kind: str = "customer.subscription.updated") -> str:
    """A delivery about ``billing_id`` committed to the event store; the row's id."""
    with unit_of_work(engine) as session:
        row, new = store.record(
            session,
            ReceivedEvent(
                id=f"evt_answered_{next(counter)}",
                type=kind,
                created=datetime.now(UTC),
                object_id=billing_id,
                object_type="subscription",
            ),
        )
        assert new
        return row.id


def reads_of(stripe_server: StripeTestServer, billing_id: str) -> int:
    path = f"/v1/subscriptions/{billing_id}"
    return sum(1 for r in stripe_server.api.requests if r["method"] == "GET" and r["path"] == path)


def on_first_read(
    monkeypatch: pytest.MonkeyPatch, action: Callable[[], object], *, answered: bool = False
) -> None:
    """Run ``action`` once, as another worker would meanwhile, during the first Stripe read
    of a subscription: before its request, or (``answered``) once its answer is in. Reads
    made by ``action`` are real ones."""
    real = reconcile.read_remote

    def read_remote(environment_id: str, billing_id: str) -> Any:
        monkeypatch.setattr(reconcile, "read_remote", real)
        if not answered:
            action()
        remote = real(environment_id, billing_id)
        if answered:
            action()
        return remote

    monkeypatch.setattr(reconcile, "read_remote", read_remote)


def states(session: Session, ids: list[str]) -> list[str]:
    session.expire_all()
    return [session.get(WebhookEvent, i).state for i in ids]  # type: ignore[union-attr]


def test_a_backlog_about_one_subscription_costs_one_read(
    session: Session, engine: Engine, stripe_server: StripeTestServer, paid: tuple[str, str]
) -> None:
    _, billing_id = paid
    kinds = ["updated", "updated", "trial_will_end", "updated", "created"]
    backlog = [stored(engine, billing_id, f"customer.subscription.{k}") for k in kinds]
    stripe_server.api.reset()

    assert process(backlog[2]) == "processed"
    assert states(session, backlog) == ["processed"] * 5
    assert reads_of(stripe_server, billing_id) == 1
    assert len(stripe_server.api.requests) == 1  # no read of the event's object first

    # Their own deliveries find them answered and ask Stripe nothing.
    for row_id in backlog:
        assert process(row_id) == "processed"
    assert len(stripe_server.api.requests) == 1


def test_an_event_stored_once_the_read_was_under_way_gets_a_read_of_its_own(
    session: Session,
    engine: Engine,
    stripe_server: StripeTestServer,
    paid: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, billing_id = paid
    first = stored(engine, billing_id)
    late: list[str] = []
    on_first_read(monkeypatch, lambda: late.append(stored(engine, billing_id)))
    stripe_server.api.reset()
    assert process(first) == "processed"
    assert states(session, [first, late[0]]) == ["processed", "pending"]
    assert process(late[0]) == "processed"
    assert reads_of(stripe_server, billing_id) == 2


def test_other_events_and_other_subscriptions_are_not_answered_by_the_read(
    session: Session, engine: Engine, stripe_server: StripeTestServer, paid: tuple[str, str]
) -> None:
    _, billing_id = paid
    mine = stored(engine, billing_id)
    # An invoice event names an invoice: only reading it tells which subscription it is.
    invoice = stored(engine, billing_id, "invoice.paid")
    other = stored(engine, "sub_someone_else")
    assert process(mine) == "processed"
    assert states(session, [mine, invoice, other]) == ["processed", "pending", "pending"]


def test_a_failed_event_is_answered_by_a_later_read(
    session: Session, engine: Engine, stripe_server: StripeTestServer, paid: tuple[str, str]
) -> None:
    _, billing_id = paid
    failing = stored(engine, billing_id)
    stripe_server.fail_next(500, count=1)
    assert process(failing) == "failed"
    assert states(session, [failing]) == ["failed"]
    assert process(stored(engine, billing_id)) == "processed"
    session.expire_all()
    answered = session.get(WebhookEvent, failing)
    assert answered is not None
    assert (answered.state, answered.last_error) == ("processed", None)
    assert answered.processed_at is not None


def test_a_read_that_began_earlier_is_not_applied_over_a_later_one(
    session: Session,
    engine: Engine,
    stripe_server: StripeTestServer,
    paid: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    local, billing_id = paid
    waiting = stored(engine, billing_id)
    session.expire_all()
    held = session.get(Subscription, local)
    assert held is not None
    paid_invoice, reads_before = held.latest_invoice, held.billing_reads_started
    assert paid_invoice is not None and paid_invoice["status"] == "PAID"

    def later_read() -> None:
        # While the earlier read is on its way back, the renewal's payment starts
        # clearing, and a later read sees it and is applied first.
        stripe_server.next_payment("processing")
        stripe_server.advance_time(31 * DAY + 2 * 3600)
        reconcile.reconcile_subscription(local)

    on_first_read(monkeypatch, later_read, answered=True)
    reconcile.reconcile_subscription(local)

    session.expire_all()
    after = session.get(Subscription, local)
    assert after is not None and after.latest_invoice is not None
    assert after.latest_invoice["billingId"] != paid_invoice["billingId"]
    assert after.payment_collection == "PROCESSING"
    # Numbered as they started, whatever the clocks say: the later read is the second.
    numbers = (after.billing_reads_started, after.billing_read_applied)
    assert numbers == (reads_before + 2, reads_before + 2)
    # The event stored before both was answered by the later read, which was applied.
    assert states(session, [waiting]) == ["processed"]


def test_an_attempt_that_fails_after_its_event_was_answered_leaves_it_answered(
    session: Session,
    engine: Engine,
    stripe_server: StripeTestServer,
    paid: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    local, billing_id = paid
    event = stored(engine, billing_id)

    def answer_then_fail() -> None:
        # Another worker's read answers the event; then this attempt's request fails.
        reconcile.reconcile_subscription(local)
        stripe_server.fail_next(500, count=1)

    on_first_read(monkeypatch, answer_then_fail)
    assert process(event) == "processed"  # not retried: nothing is left to do
    session.expire_all()
    answered = session.get(WebhookEvent, event)
    assert answered is not None
    assert (answered.state, answered.last_error) == ("processed", None)


def test_webhooks_replay_handles_an_answered_event_again(
    session: Session, engine: Engine, stripe_server: StripeTestServer, paid: tuple[str, str]
) -> None:
    _, billing_id = paid
    row = stored(engine, billing_id)
    assert process(row) == "processed"
    stripe_server.api.reset()
    assert process(row, again=True) == "processed"
    assert reads_of(stripe_server, billing_id) == 1


def test_the_invoice_of_the_creation_answer_does_not_overwrite_a_read_applied_since(
    session: Session, stripe_client: stripe.StripeClient, paid: tuple[str, str]
) -> None:
    local, billing_id = paid
    session.expire_all()
    held = session.get(Subscription, local)
    assert held is not None and held.billing_read_applied > 0 and held.latest_invoice
    newer = dict(held.latest_invoice, status="OPEN")
    held.latest_invoice = newer  # what the read applied since said
    session.commit()
    expand = ["latest_invoice", "latest_invoice.confirmation_secret"]
    remote = stripe_client.v1.subscriptions.retrieve(billing_id, {"expand": expand})
    assert isinstance(remote.latest_invoice, stripe.Invoice)
    record_invoice(held.environment_id, local, remote.latest_invoice)
    session.expire_all()
    assert session.get(Subscription, local).latest_invoice == newer  # type: ignore[union-attr]
