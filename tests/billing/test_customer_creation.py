"""A Stripe customer is created once: a young customer's creation rests on its
idempotency key alone, an older one's first looks for an earlier attempt's customer."""

from __future__ import annotations

from datetime import timedelta

import stripe
from sqlmodel import Session, select

from app import db
from app.billing import customers
from app.models import Customer
from tests.billing.test_sync import customer
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
