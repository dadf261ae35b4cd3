"""A worker killed in the middle of a handler: the redelivered event is applied once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import stripe
from sqlmodel import Session, col, select

from app.billing.webhooks import ReceivedEvent
from app.customers.service import provision_customer
from app.models import Environment, Subscription, WebhookEvent
from app.subscriptions import lifecycle, service
from tests.stripe_server.server import StripeTestServer
from webhooks import store
from webhooks.processing import process
from workers import billing as billing_jobs
from workers.broker import build_broker


@pytest.mark.usefixtures("catalog")
def test_a_handler_that_dies_midway_is_applied_once_on_redelivery(
    session: Session,
    environment: Environment,
    stripe_server: StripeTestServer,
    stripe_client: stripe.StripeClient,
    billing_settings: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    build_broker(billing_settings)  # type: ignore[arg-type]
    provision_customer(session, environment, {"customerId": "c-1"})
    free = service.provision_subscription(
        session, environment, {"customerId": "c-1", "planId": "free"}
    ).subscription
    pending = service.provision_subscription(
        session, environment, {"customerId": "c-1", "planId": "basic", "billingPeriod": "MONTHLY"}
    ).subscription
    session.commit()
    billing_jobs.create_checkout(pending.id, {})
    session.expire_all()
    checkout_id = str(session.get(Subscription, pending.id).checkout_billing_id)  # type: ignore[union-attr]
    stripe_server.complete_checkout_session(checkout_id)
    (completed,) = [
        e
        for e in stripe_client.v1.events.list({"limit": 100}).data
        if e.type == "checkout.session.completed"
    ]
    row, _ = store.record(
        session,
        ReceivedEvent(
            id=completed.id,
            type=completed.type,
            created=datetime.fromtimestamp(completed.created, UTC),
            object_id=checkout_id,
            object_type="checkout.session",
        ),
    )
    session.commit()

    def die(*args: object, **kwargs: object) -> None:
        raise SystemExit("worker killed")

    # The worker dies after the old subscription was replaced and before the new one
    # took its place: nothing of that attempt may survive.
    monkeypatch.setattr(lifecycle, "take_slot", die)
    with pytest.raises(SystemExit):
        process(row.id)
    monkeypatch.undo()
    session.expire_all()
    assert session.get(Subscription, free.id).status == "ACTIVE"  # type: ignore[union-attr]
    assert session.get(WebhookEvent, row.id).state == "pending"  # type: ignore[union-attr]

    assert process(row.id) == "processed"  # the redelivery
    assert process(row.id) == "processed"  # and a duplicate of it
    session.expire_all()
    live = session.exec(
        select(Subscription).where(col(Subscription.active_slot).is_not(None))
    ).all()
    assert [(s.id, s.status) for s in live] == [(pending.id, "ACTIVE")]
    assert session.get(Subscription, free.id).status == "CANCELED"  # type: ignore[union-attr]
