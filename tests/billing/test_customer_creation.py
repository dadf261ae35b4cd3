"""A Stripe customer is created once: a young customer's creation rests on its
idempotency key alone, an older one's first looks for an earlier attempt's customer."""

from __future__ import annotations

from datetime import timedelta

import pytest
import stripe
from sqlmodel import Session, select

from app import db
from app.billing import customers
from app.models import Customer
from tests.billing.test_sync import customer, provision
from tests.conftest import GraphQL
from tests.stripe_server.server import StripeTestServer


def _row(customer_id: str) -> Customer:
    with Session(db.get_engine()) as session:
        return session.exec(select(Customer).where(Customer.customer_id == customer_id)).one()


def _searches(stripe_server: StripeTestServer) -> int:
    return sum(1 for r in stripe_server.api.requests if r.get("path") == "/v1/customers/search")


def _age(customer_id: str, by: timedelta) -> None:
    with Session(db.get_engine()) as session:
        row = session.exec(select(Customer).where(Customer.customer_id == customer_id)).one()
        row.created_at = row.created_at - by
        session.add(row)
        session.commit()


def test_a_young_customer_is_created_without_a_search_and_once_under_its_key(
    billing_api: GraphQL, stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    customer(billing_api, "c-young")
    snapshot = customers.read_customer(_row("c-young").id)
    assert snapshot is not None
    before = _searches(stripe_server)

    created = customers.ensure_exists(snapshot)
    # A retry that read the customer before the id was recorded (its first answer lost,
    # say) asks under the same key: Stripe replays the first answer.
    assert customers.ensure_exists(snapshot) == created

    assert _searches(stripe_server) == before
    assert [c.id for c in stripe_client.v1.customers.list().data] == [created]
    assert _row("c-young").billing_id == created


def test_an_older_customer_finds_the_customer_an_attempt_beyond_its_keys_life_made(
    billing_api: GraphQL, stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    customer(billing_api, "c-old")
    _age("c-old", customers.KEY_ANSWERED_FOR + timedelta(hours=1))
    snapshot = customers.read_customer(_row("c-old").id)
    assert snapshot is not None
    # An attempt whose answer was lost, made longer ago than Stripe keeps its key.
    earlier = stripe_client.v1.customers.create(
        {"metadata": customers._metadata(snapshot)}, {"idempotency_key": "another-key"}
    )
    before = _searches(stripe_server)

    assert customers.ensure_exists(snapshot) == earlier.id
    assert _searches(stripe_server) == before + 1
    assert [c.id for c in stripe_client.v1.customers.list().data] == [earlier.id]


def _session_customer(stripe_client: stripe.StripeClient, session_id: str) -> str:
    found = stripe_client.v1.checkout.sessions.retrieve(session_id)
    assert isinstance(found.customer, str)
    return found.customer


def test_a_checkout_records_the_customer_it_made_with_its_session(
    billing_api: GraphQL, stripe_client: stripe.StripeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Stripe customer made for a checkout is recorded in the session's transaction,
    not in one of its own."""
    from app.billing import state

    alone: list[str] = []
    monkeypatch.setattr(state, "record_customer_billing_id", lambda pk, _id: alone.append(pk))
    customer(billing_api, "c-checkout")
    assert _row("c-checkout").billing_id is None

    answer = provision(
        billing_api, customerId="c-checkout", planId="basic", billingPeriod="MONTHLY"
    )

    assert answer["status"] == "PAYMENT_REQUIRED" and answer["checkoutUrl"]
    assert alone == []
    made = _row("c-checkout").billing_id
    assert made is not None
    assert made == _session_customer(stripe_client, answer["checkoutBillingId"])
    assert [c.id for c in stripe_client.v1.customers.list().data] == [made]


def _waiting_for_a_first_checkout(api: GraphQL, customer_id: str) -> tuple[str, str, str]:
    """A paid subscription provisioned (its checkout made a Stripe customer), then put
    back as before its first attempt: no session, no Stripe customer recorded. Returns
    its id, its customer's and the Stripe customer the next attempt will bill."""
    from app.models import Subscription

    customer(api, customer_id)
    answer = provision(api, customerId=customer_id, planId="basic", billingPeriod="MONTHLY")
    made = _row(customer_id).billing_id
    assert made is not None
    with Session(db.get_engine()) as session:
        row = session.exec(
            select(Subscription).where(
                Subscription.checkout_billing_id == answer["checkoutBillingId"]
            )
        ).one()
        row.checkout_url = None
        row.checkout_billing_id = None
        owner = session.get(Customer, row.customer_id)
        assert owner is not None
        owner.billing_id = None
        session.add_all([row, owner])
        session.commit()
        return row.id, owner.id, made


def test_a_checkout_stripe_fails_still_records_the_customer_it_made(
    billing_api: GraphQL, stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    """A Stripe customer made for a session that Stripe then fails keeps its record:
    the next attempt bills the same customer."""
    from app.billing import checkout
    from app.billing.errors import BillingError

    subscription_id, customer_pk, made = _waiting_for_a_first_checkout(billing_api, "c-failed")
    stripe_server.fail_next(500, path="/v1/checkout/sessions", method="POST")

    with pytest.raises(BillingError):
        checkout.create_checkout(subscription_id, {}, customer_id=customer_pk)

    assert _row("c-failed").billing_id == made
    again = checkout.create_checkout(subscription_id, {}, customer_id=customer_pk)
    assert again is not None
    assert _session_customer(stripe_client, again.billing_id) == made
    assert [c.id for c in stripe_client.v1.customers.list().data] == [made]


def test_a_checkout_that_fails_before_stripe_still_records_the_customer_it_made(
    billing_api: GraphQL, stripe_client: stripe.StripeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Made, then something of ours fails before the session is asked for: kept too."""
    from app.billing import checkout

    subscription_id, customer_pk, made = _waiting_for_a_first_checkout(billing_api, "c-local")

    def broken(*_args: object) -> object:
        raise RuntimeError("the session's parameters could not be made")

    monkeypatch.setattr(checkout, "_params", broken)
    with pytest.raises(RuntimeError):
        checkout.create_checkout(subscription_id, {}, customer_id=customer_pk)

    assert _row("c-local").billing_id == made
    assert [c.id for c in stripe_client.v1.customers.list().data] == [made]
