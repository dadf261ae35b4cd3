"""Money safety under ordinary traffic, with the service in real processes: a separate
worker on PostgreSQL and Redis (and the embedded default on SQLite), the Stripe test
server behind it. Nobody is billed twice, no change is lost on its way to Stripe, and
what is left undone is repaired by the sweep on its own."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
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

from .stack import PrivateRedis, Stack, wait_until

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
CARD = {"paymentMethodId": "pm_card_visa"}
BASIC = {"planId": "basic", "billingPeriod": "MONTHLY"}


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
    tmp_path: Path, pg: Engine, stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    key = prepare(pg)
    stack = Stack(
        stripe_server, logs=tmp_path, database_url=pg_url(pg), redis_url=TEST_REDIS_URL, workers=1
    )
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
        stack = Stack(stripe_server, logs=tmp_path, database_url=url, redis_url=None)
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
    tmp_path: Path, pg: Engine, stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    key = prepare(pg)
    stack = Stack(
        stripe_server, logs=tmp_path, database_url=pg_url(pg), redis_url=TEST_REDIS_URL, workers=1
    )
    stack.start()
    try:
        customers = [f"c-{n}" for n in range(20)]

        def card_and_plan(customer_id: str) -> list[dict[str, Any]]:
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
            answers = [a for pair in pool.map(card_and_plan, customers) for a in pair]
        assert [a["errors"] for a in answers if a.get("errors")] == []
        statuses = {a["data"]["provisionSubscriptionV2"]["status"] for a in answers[1::2]}
        assert statuses == {"SUCCESS"}
        wait_until(lambda: settled(pg), 180, f"the sync to settle (logs in {stack.logs})")
        assert_billed_once(pg, stripe_client, customers)
        remote_customers = list(stripe_client.v1.customers.list({"limit": 100}).auto_paging_iter())
        assert len(remote_customers) == len(customers)
        for remote_customer in remote_customers:
            settings = remote_customer.invoice_settings
            assert settings is not None and settings.default_payment_method is not None
        paths = [r["path"] for r in stripe_server.api.requests]
        assert "/v1/checkout/sessions" not in paths
        refused = [r for r in stripe_server.api.requests if r.get("error") == "idempotency_error"]
        assert refused == []
    finally:
        stack.stop()


def onboard(stack: Stack, key: str, customer_id: str, **subscription: Any) -> dict[str, Any]:
    made = stack.graphql(
        key, PROVISION_CUSTOMER, {"input": {"customerId": customer_id, "billingInformation": CARD}}
    )
    assert "errors" not in made, made
    paid = stack.graphql(
        key, PROVISION, {"input": {"customerId": customer_id, **BASIC, **subscription}}
    )
    assert "errors" not in paid, paid
    return dict(paid["data"]["provisionSubscriptionV2"])


def stripe_subscription_of(engine: Engine, ref: str) -> str | None:
    with Session(engine) as session:
        row = session.exec(select(Subscription).where(Subscription.ref_id == ref)).one()
        return row.billing_id


def test_with_the_broker_down_at_commit_the_change_is_stored_and_reaches_stripe_later(
    tmp_path: Path, pg: Engine, stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    private = PrivateRedis()
    try:
        private.start()
    except RuntimeError as exc:
        require_service("redis-server", exc)
    key = prepare(pg)
    stack = Stack(
        stripe_server, logs=tmp_path, database_url=pg_url(pg), redis_url=private.url, workers=1
    )
    stack.start()
    try:
        onboard(stack, key, "c-1")
        wait_until(lambda: settled(pg), 60, "the first customer to sync")
        private.stop()
        answered = onboard(stack, key, "c-2")
        assert answered["status"] == "SUCCESS"
        ref = answered["subscription"]["refId"]
        with Session(pg) as session:
            waiting = session.exec(select(func.count()).select_from(OutboxMessage)).one()
        assert waiting >= 2  # the customer's card and the subscription, kept for the relay
        assert stripe_subscription_of(pg, ref) is None
        private.start()
        billing_id = wait_until(
            lambda: stripe_subscription_of(pg, ref), 60, f"the relay (logs in {stack.logs})"
        )
        assert stripe_client.v1.subscriptions.retrieve(billing_id).status == "active"
        wait_until(lambda: settled(pg), 60, "the sync to settle")
        assert_billed_once(pg, stripe_client, ["c-1", "c-2"])
    finally:
        stack.stop()
        private.stop()


def test_the_sweep_repairs_on_its_own_interval(
    tmp_path: Path, pg: Engine, stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    key = prepare(pg)
    stack = Stack(
        stripe_server,
        logs=tmp_path,
        database_url=pg_url(pg),
        redis_url=TEST_REDIS_URL,
        workers=1,
        extra_env={"RECONCILE_INTERVAL_SECONDS": "2"},
    )
    stack.start()
    try:
        onboard(stack, key, "c-1")
        wait_until(lambda: settled(pg), 60, "the first customer to sync")
        with Session(pg) as session:
            owner = session.exec(select(Customer).where(Customer.customer_id == "c-1")).one()
            environment_id = owner.environment_id
        # An orphan: a live Stripe subscription made for this environment that no local
        # subscription wants (a lost answer of an earlier attempt, say).
        price = stripe_client.v1.prices.list({"limit": 1}).data[0].id
        orphan = stripe_client.v1.subscriptions.create(
            {
                "customer": owner.billing_id or "",
                "items": [{"price": price}],
                "metadata": {
                    "billing_sync_environment_id": environment_id,
                    "billing_sync_subscription_id": "no-such-subscription",
                },
            }
        ).id
        # A lost webhook: the customer pays on Checkout, and the event never arrives.
        stack.graphql(key, PROVISION_CUSTOMER, {"input": {"customerId": "c-2"}})
        pending = stack.graphql(key, PROVISION, {"input": {"customerId": "c-2", **BASIC}})
        pending_ref = pending["data"]["provisionSubscriptionV2"]["subscription"]["refId"]
        checkout_id = pending["data"]["provisionSubscriptionV2"]["checkoutUrl"] and (
            wait_until(lambda: _checkout_of(pg, pending_ref), 30, "the checkout")
        )
        stripe_server.set_webhook_mode("drop")
        stripe_server.complete_checkout_session(checkout_id)
        # Lost jobs: a paid subscription and a pending one whose messages vanish from
        # the broker before any worker takes them.
        stack.graphql(
            key, PROVISION_CUSTOMER, {"input": {"customerId": "c-3", "billingInformation": CARD}}
        )
        wait_until(lambda: settled(pg), 60, "the third customer's card")
        stack.kill_workers()
        lost_answer = stack.graphql(key, PROVISION, {"input": {"customerId": "c-3", **BASIC}})
        lost = lost_answer["data"]["provisionSubscriptionV2"]["subscription"]["refId"]
        stack.graphql(key, PROVISION_CUSTOMER, {"input": {"customerId": "c-4"}})
        waiting = stack.graphql(key, PROVISION, {"input": {"customerId": "c-4", **BASIC}})
        waiting_ref = waiting["data"]["provisionSubscriptionV2"]["subscription"]["refId"]
        redis.Redis.from_url(TEST_REDIS_URL).flushdb()
        with Session(pg) as session:
            row = session.exec(select(Subscription).where(Subscription.ref_id == waiting_ref)).one()
            row.created_at = row.created_at - timedelta(minutes=5)
            session.add(row)
            session.commit()
        stack.start_worker()

        def repaired() -> bool:
            remote = stripe_client.v1.subscriptions.retrieve(orphan)
            with Session(pg) as session:
                rows = {r.ref_id: r for r in session.exec(select(Subscription)).all()}
            return (
                remote.status == "canceled"
                and rows[pending_ref].status == "ACTIVE"
                and rows[lost].billing_id is not None
                and rows[waiting_ref].checkout_url is not None
            )

        wait_until(repaired, 90, f"the sweep to repair everything (logs in {stack.logs})")
        assert "billing.incident.orphan_cancelled" in stack.log_text()
    finally:
        stack.stop()


def _checkout_of(engine: Engine, ref: str) -> str | None:
    with Session(engine) as session:
        row = session.exec(select(Subscription).where(Subscription.ref_id == ref)).one()
        return row.checkout_billing_id


def test_killed_workers_and_stripe_storms_neither_duplicate_nor_lose_anything(
    tmp_path: Path, pg: Engine, stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    key = prepare(pg)
    stack = Stack(
        stripe_server,
        logs=tmp_path,
        database_url=pg_url(pg),
        redis_url=TEST_REDIS_URL,
        workers=1,
        extra_env={
            "RECONCILE_INTERVAL_SECONDS": "3",
            "BROKER_HEARTBEAT_TIMEOUT_SECONDS": "3",
            "BROKER_MAINTENANCE_CHANCE": "200000",
        },
    )
    stack.start()
    try:
        customers = [f"c-{n}" for n in range(30)]
        stripe_server.fail_next(429, 15)
        with ThreadPoolExecutor(max_workers=5) as pool:
            futures = [pool.submit(onboard, stack, key, c) for c in customers]
            for round_ in range(3):
                wait_until(lambda r=round_: sum(f.done() for f in futures) >= 7 * (r + 1), 120)
                stack.kill_workers()
                # A storm of outages, some after Stripe did the work (the answer is lost).
                stripe_server.fail_next(500, 10, after_execution=round_ % 2 == 0)
                stack.start_worker()
            answers = [f.result() for f in futures]
        assert {a["status"] for a in answers} == {"SUCCESS"}

        def conflicts() -> list[dict[str, Any]]:
            return [r for r in stripe_server.api.requests if r.get("error") == "idempotency_error"]

        try:
            wait_until(lambda: settled(pg), 240, f"the sync to settle (logs in {stack.logs})")
        finally:
            assert conflicts() == []
        assert_billed_once(pg, stripe_client, customers)
        remote_customers = list(stripe_client.v1.customers.list({"limit": 100}).auto_paging_iter())
        assert len(remote_customers) == len(customers)
    finally:
        stack.stop()
