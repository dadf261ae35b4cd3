"""Money safety under ordinary traffic, with the service in real processes: a separate
worker on PostgreSQL and Redis (and the embedded default on SQLite), the Stripe test
server behind it. Nobody is billed twice, no change is lost on its way to Stripe, and
what is left undone is repaired by the sweep on its own."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import redis
import stripe
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from app import db, migrations
from app.models import Customer, Environment, OutboxMessage, Subscription
from app.models.subscriptions import LIVE_STATUSES
from tests.conftest import TEST_REDIS_URL, _clear, issue_key, require_service
from tests.stripe_server.server import StripeTestServer
from tests.subscriptions.factories import apply, catalog_data

from .stack import Stack, wait_until

pytestmark = pytest.mark.slow

PROVISION_CUSTOMER = """
mutation($input: ProvisionCustomerInput!) {
  provisionCustomer(input: $input) { customer { customerId hasPaymentMethod } }
}"""
PROVISION = """
mutation($input: ProvisionSubscriptionInput!) {
  provisionSubscriptionV2(input: $input) { status checkoutUrl subscription { refId status } }
}"""
LIVE = {s.value for s in LIVE_STATUSES}


def prepare(engine: Engine) -> str:
    """An environment with the test catalog; returns a server API key."""
    with Session(engine, expire_on_commit=False) as session:
        environment = Environment(name="development")
        session.add(environment)
        session.commit()
        apply(session, environment, catalog_data())
    return issue_key(engine, "development")


@pytest.fixture
def pg(postgresql_engine: Engine) -> Iterator[Engine]:
    db.set_engine(postgresql_engine)
    try:
        redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    except redis.RedisError as exc:
        require_service("Redis", exc)
    try:
        yield postgresql_engine
    finally:
        db.set_engine(None)
        _clear(postgresql_engine)


def pg_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False).replace("+psycopg", "")


def settled(engine: Engine) -> bool:
    """Nothing waits in the outbox and Stripe reflects every local change."""
    with Session(engine) as session:
        waiting = session.exec(select(func.count()).select_from(OutboxMessage)).one()
        lagging = session.exec(
            select(func.count())
            .select_from(Subscription)
            .where(col(Subscription.synced_generation) < col(Subscription.sync_generation))
        ).one()
        customers = session.exec(
            select(func.count())
            .select_from(Customer)
            .where(
                (col(Customer.synced_generation) < col(Customer.sync_generation))
                | col(Customer.payment_method_generation).is_not(None)
            )
        ).one()
    return waiting == 0 and lagging == 0 and customers == 0


def live_stripe_subscriptions(client: stripe.StripeClient) -> list[stripe.Subscription]:
    listing = client.v1.subscriptions.list({"limit": 100})
    return [s for s in listing.auto_paging_iter() if s.status not in ("canceled",)]


def assert_billed_once(
    engine: Engine, client: stripe.StripeClient, customer_ids: list[str]
) -> None:
    """Each customer: one live local paid subscription, one live Stripe subscription, the
    same one; and Stripe holds no live subscription that billing-sync does not point to."""
    remote = live_stripe_subscriptions(client)
    with Session(engine) as session:
        pointed = set(
            session.exec(
                select(Subscription.billing_id).where(
                    col(Subscription.status).in_(LIVE), col(Subscription.billing_id).is_not(None)
                )
            )
        )
        for customer_id in customer_ids:
            customer = session.exec(
                select(Customer).where(Customer.customer_id == customer_id)
            ).one()
            live = session.exec(
                select(Subscription).where(
                    Subscription.customer_id == customer.id,
                    Subscription.pricing_type == "PAID",
                    col(Subscription.status).in_(LIVE),
                )
            ).all()
            assert len(live) == 1, (customer_id, [(s.ref_id, s.status) for s in live])
            theirs = [s for s in remote if s.customer == customer.billing_id]
            assert [s.id for s in theirs] == [live[0].billing_id], (customer_id, theirs)
    strays = [s.id for s in remote if s.id not in pointed]
    assert strays == []


def provision_all(stack: Stack, key: str, calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(
            pool.map(lambda fields: stack.graphql(key, PROVISION, {"input": fields}), calls)
        )


def assert_no_errors(answers: list[dict[str, Any]]) -> None:
    errors = [a["errors"] for a in answers if a.get("errors")]
    assert errors == []
    assert all(a["http_status"] == 200 for a in answers)
    assert {a["data"]["provisionSubscriptionV2"]["status"] for a in answers} == {"SUCCESS"}


def test_twenty_concurrent_paid_provisions_bill_each_customer_once_on_postgresql(
    pg: Engine, stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    key = prepare(pg)
    stack = Stack(stripe_server, database_url=pg_url(pg), redis_url=TEST_REDIS_URL, workers=1)
    stack.start()
    try:
        customers = [f"c-{n}" for n in range(3)]
        for customer_id in customers:
            made = stack.graphql(
                key,
                PROVISION_CUSTOMER,
                {
                    "input": {
                        "customerId": customer_id,
                        "billingInformation": {"paymentMethodId": "pm_card_visa"},
                    }
                },
            )
            assert "errors" not in made, made
        # Alternating plans, so every provision changes what each customer pays for.
        plans = [
            {"planId": "basic"},
            {"planId": "pro", "skipTrial": True, "unitQuantity": 2},
        ]
        calls = [
            {"customerId": c, "billingPeriod": "MONTHLY", **plans[n % 2]}
            for n in range(20)
            for c in customers
        ]
        assert_no_errors(provision_all(stack, key, calls))
        wait_until(lambda: settled(pg), 120, f"the sync to settle (logs in {stack.logs})")
        assert_billed_once(pg, stripe_client, customers)
        checkouts = [r for r in stripe_server.api.requests if r["path"] == "/v1/checkout/sessions"]
        assert checkouts == []
    finally:
        stack.stop()


def test_twenty_concurrent_paid_provisions_on_the_sqlite_embedded_default(
    tmp_path: Path, stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    url = f"sqlite:///{tmp_path / 'embedded.db'}"
    migrations.upgrade(url)
    engine = db.make_engine(url)
    db.set_engine(engine)
    try:
        key = prepare(engine)
        stack = Stack(stripe_server, database_url=url, redis_url=None)
        stack.start()
        try:
            made = stack.graphql(
                key,
                PROVISION_CUSTOMER,
                {
                    "input": {
                        "customerId": "c-1",
                        "billingInformation": {"paymentMethodId": "pm_card_visa"},
                    }
                },
            )
            assert "errors" not in made, made
            calls = [
                {"customerId": "c-1", "planId": "basic", "billingPeriod": "MONTHLY"}
                for _ in range(20)
            ]
            assert_no_errors(provision_all(stack, key, calls))
            wait_until(lambda: settled(engine), 120, f"the sync to settle (logs in {stack.logs})")
            assert_billed_once(engine, stripe_client, ["c-1"])
        finally:
            stack.stop()
    finally:
        db.set_engine(None)
        engine.dispose()


def test_a_card_given_with_the_customer_pays_its_first_subscription_without_checkout(
    pg: Engine, stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    key = prepare(pg)
    stack = Stack(stripe_server, database_url=pg_url(pg), redis_url=TEST_REDIS_URL, workers=1)
    stack.start()
    try:
        customers = [f"c-{n}" for n in range(50)]

        def onboard(customer_id: str) -> list[dict[str, Any]]:
            card = {"paymentMethodId": "pm_card_visa"}
            made = stack.graphql(
                key,
                PROVISION_CUSTOMER,
                {"input": {"customerId": customer_id, "billingInformation": card}},
            )
            paid = stack.graphql(
                key,
                PROVISION,
                {
                    "input": {
                        "customerId": customer_id,
                        "planId": "basic",
                        "billingPeriod": "MONTHLY",
                    }
                },
            )
            return [made, paid]

        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = [a for pair in pool.map(onboard, customers) for a in pair]
        assert [a["errors"] for a in answers if a.get("errors")] == []
        statuses = {a["data"]["provisionSubscriptionV2"]["status"] for a in answers[1::2]}
        assert statuses == {"SUCCESS"}
        wait_until(lambda: settled(pg), 180, f"the sync to settle (logs in {stack.logs})")
        assert_billed_once(pg, stripe_client, customers)
        remote_customers = list(stripe_client.v1.customers.list({"limit": 100}).auto_paging_iter())
        assert len(remote_customers) == 50
        for remote_customer in remote_customers:
            settings = remote_customer.invoice_settings
            assert settings is not None and settings.default_payment_method is not None
        paths = [r["path"] for r in stripe_server.api.requests]
        assert "/v1/checkout/sessions" not in paths
        refused = [r for r in stripe_server.api.requests if r.get("error") == "idempotency_error"]
        assert refused == []
    finally:
        stack.stop()
