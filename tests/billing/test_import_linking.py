"""Bulk imports into an environment billed in Stripe: a billingId links an existing
Stripe customer or subscription (once checked), a card becomes the customer's default
payment method, and a paid subscription is created in Stripe on that card, never
through a checkout, charged from the end of the period it was paid for elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest
import stripe
from dramatiq.middleware import Middleware
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app import db
from app.config import Settings
from app.main import create_app
from app.models import Customer, Environment, Subscription
from tests.billing.conftest import jobs_done
from tests.conftest import GraphQL, issue_key
from tests.imports.conftest import START, START_SUBSCRIPTIONS, import_catalog, run_import
from tests.stripe_server.server import StripeTestServer
from tests.subscriptions.factories import apply

PAST = "2026-09-10T00:00:00Z"
PAID_ROW = {"planId": "plan-basic", "billingPeriod": "MONTHLY", "startDate": PAST}


@pytest.fixture
def api(
    engine: Engine, billing_settings: Settings, environment: Environment, session: Session
) -> Iterator[GraphQL]:
    apply(session, environment, import_catalog())
    key = issue_key(engine, environment.name)
    with TestClient(create_app(billing_settings)) as client:
        yield GraphQL(client, key)


def imported(api: GraphQL, kind: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Run an import and every Stripe job it queued; the import's summary."""
    summary = run_import(api, kind, rows)
    jobs_done(api)
    return summary


def customer(customer_id: str) -> Customer:
    with Session(db.get_engine()) as session:
        found = session.exec(select(Customer).where(Customer.customer_id == customer_id)).one()
        return found


def subscriptions_of(customer_id: str) -> list[Subscription]:
    with Session(db.get_engine()) as session:
        owner = session.exec(select(Customer).where(Customer.customer_id == customer_id)).one()
        query = select(Subscription).where(Subscription.customer_id == owner.id)
        return list(session.exec(query))


def card_customer(api: GraphQL, customer_id: str = "c-1") -> None:
    summary = imported(
        api, "customers", [{"customerId": customer_id, "paymentMethodId": "pm_card_visa"}]
    )
    assert summary["created"] == 1, summary


def reasons(summary: dict[str, Any]) -> list[str]:
    return [row["reason"] for row in summary["rows"] if row["outcome"] == "FAILED"]


def test_a_billing_id_links_the_existing_stripe_customer(
    api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    existing = stripe_client.v1.customers.create({"email": "old@example.com"})
    summary = imported(api, "customers", [{"customerId": "c-1", "billingId": existing.id}])
    assert summary["created"] == 1, summary
    assert customer("c-1").billing_id == existing.id
    assert [c.id for c in stripe_client.v1.customers.list().data] == [existing.id]
    tags = stripe_client.v1.customers.retrieve(existing.id).to_dict()["metadata"]
    assert tags["billing_sync_customer_id"] == "c-1"


def test_a_billing_id_missing_from_the_stripe_account_fails_the_row_and_stores_nothing(
    api: GraphQL,
) -> None:
    summary = imported(api, "customers", [{"customerId": "c-1", "billingId": "cus_missing"}])
    assert summary["failed"] == 1
    assert reasons(summary) == [
        "billingId 'cus_missing' is not a customer of this environment's Stripe account"
    ]
    with Session(db.get_engine()) as session:
        assert session.exec(select(Customer)).all() == []


def test_a_billing_id_tagged_for_another_environment_fails_the_row(
    api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    theirs = stripe_client.v1.customers.create(
        {
            "metadata": {
                "billing_sync_environment_id": "another-environment",
                "billing_sync_customer_id": "c-1",
            }
        }
    )
    summary = imported(api, "customers", [{"customerId": "c-1", "billingId": theirs.id}])
    assert reasons(summary) == [
        f"billingId {theirs.id!r} belongs to another customer or environment"
    ]


def test_a_billing_id_linked_to_another_customer_is_refused_before_anything_is_stored(
    api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    existing = stripe_client.v1.customers.create({})
    imported(api, "customers", [{"customerId": "c-1", "billingId": existing.id}])
    error = api.error(
        START, {"input": {"customers": [{"customerId": "c-2", "billingId": existing.id}]}}
    )
    assert error["extensions"]["code"] == "IMPORT_INVALID"
    assert f"{existing.id!r} is linked to another customer" in error["message"]


def test_a_linked_customer_is_not_linked_again_to_another_stripe_customer(
    api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    first = stripe_client.v1.customers.create({})
    second = stripe_client.v1.customers.create({})
    imported(api, "customers", [{"customerId": "c-1", "billingId": first.id}])
    error = api.error(
        START, {"input": {"customers": [{"customerId": "c-1", "billingId": second.id}]}}
    )
    assert f"is billed to Stripe customer {first.id!r} already" in error["message"]
    assert customer("c-1").billing_id == first.id


def test_the_imported_card_becomes_the_default_payment_method(
    api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    card_customer(api)
    stored = customer("c-1")
    assert stored.has_payment_method
    assert stored.billing_id is not None
    remote = stripe_client.v1.customers.retrieve(stored.billing_id)
    default = remote.invoice_settings.default_payment_method
    assert isinstance(default, str)
    assert stripe_client.v1.payment_methods.retrieve(default).customer == stored.billing_id


def test_a_card_given_with_a_billing_id_becomes_that_stripe_customers_default(
    api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    existing = stripe_client.v1.customers.create({})
    rows = [{"customerId": "c-1", "billingId": existing.id, "paymentMethodId": "pm_card_visa"}]
    imported(api, "customers", rows)
    remote = stripe_client.v1.customers.retrieve(existing.id)
    assert remote.invoice_settings.default_payment_method is not None
    assert [c.id for c in stripe_client.v1.customers.list().data] == [existing.id]


def test_a_paid_subscription_is_billed_to_the_imported_card(
    api: GraphQL, stripe_client: stripe.StripeClient, stripe_server: StripeTestServer
) -> None:
    card_customer(api)
    rows = [
        {"customerId": "c-1", "planId": "plan-basic", "billingPeriod": "MONTHLY", "startDate": PAST}
    ]
    assert imported(api, "subscriptions", rows)["created"] == 1
    (local,) = subscriptions_of("c-1")
    assert local.billing_id is not None
    remote = stripe_client.v1.subscriptions.retrieve(local.billing_id)
    assert remote.customer == customer("c-1").billing_id
    # Paid for where it came from until its period ends: Stripe charges from then on.
    assert local.billed_from == local.current_billing_period_end
    assert remote.billing_cycle_anchor == int(local.current_billing_period_end.timestamp())
    first = stripe_client.v1.invoices.list({"subscription": remote.id}).data
    assert [invoice.amount_paid for invoice in first] == [0]
    stripe_server.advance_time(
        int(local.current_billing_period_end.timestamp()) - stripe_server.now() + 2 * 3600
    )
    invoices = stripe_client.v1.invoices.list({"subscription": remote.id}).data
    assert sorted(invoice.amount_paid for invoice in invoices) == [0, 1000]


def test_a_paid_subscription_never_goes_through_a_checkout(
    api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    imported(api, "customers", [{"customerId": "c-1"}])
    error = api.error(
        START_SUBSCRIPTIONS,
        {
            "input": {
                "subscriptions": [
                    {"customerId": "c-1", "planId": "plan-basic", "billingPeriod": "MONTHLY"}
                ]
            }
        },
    )
    assert (
        "has no payment method: import the customer with paymentMethodId first" in error["message"]
    )
    assert subscriptions_of("c-1") == []
    assert stripe_client.v1.checkout.sessions.list().data == []


def _stripe_subscription(client: stripe.StripeClient, customer_id: str) -> stripe.Subscription:
    product = client.v1.products.create({"name": "Basic elsewhere"})
    price = client.v1.prices.create(
        {
            "product": product.id,
            "currency": "usd",
            "unit_amount": 1000,
            "recurring": {"interval": "month"},
        }
    )
    client.v1.payment_methods.attach("pm_card_visa", {"customer": customer_id})
    return client.v1.subscriptions.create(
        {
            "customer": customer_id,
            "items": [{"price": price.id}],
            "default_payment_method": "pm_card_visa",
        }
    )


def test_a_row_naming_a_stripe_subscription_links_it_without_a_charge(
    api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    existing = stripe_client.v1.customers.create({})
    running = _stripe_subscription(stripe_client, existing.id)
    imported(api, "customers", [{"customerId": "c-1", "billingId": existing.id}])
    rows = [
        {
            "customerId": "c-1",
            "planId": "plan-basic",
            "billingPeriod": "MONTHLY",
            "billingId": running.id,
        }
    ]
    assert imported(api, "subscriptions", rows)["created"] == 1
    (local,) = subscriptions_of("c-1")
    assert local.billing_id == running.id
    assert local.billing_sync_error is None
    assert [s.id for s in stripe_client.v1.subscriptions.list({"status": "all"}).data] == [
        running.id
    ]
    invoices = stripe_client.v1.invoices.list({"customer": existing.id}).data
    assert [invoice.amount_paid for invoice in invoices] == [1000]


def test_a_stripe_subscription_of_another_stripe_customer_fails_the_row(
    api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    mine = stripe_client.v1.customers.create({})
    theirs = stripe_client.v1.customers.create({})
    running = _stripe_subscription(stripe_client, theirs.id)
    imported(api, "customers", [{"customerId": "c-1", "billingId": mine.id}])
    rows = [
        {
            "customerId": "c-1",
            "planId": "plan-basic",
            "billingPeriod": "MONTHLY",
            "billingId": running.id,
        }
    ]
    summary = imported(api, "subscriptions", rows)
    assert reasons(summary) == [
        f"billingId {running.id!r} belongs to another Stripe customer than customer 'c-1''s"
    ]
    assert subscriptions_of("c-1") == []


class _SeesCommitted(Middleware):
    """Records, as each sync job reaches the broker, whether its subscription is visible
    to another connection (committed)."""

    def __init__(self) -> None:
        self.seen: list[bool] = []

    def before_enqueue(self, broker: dramatiq.Broker, message: Any, delay: int) -> None:
        if message.actor_name != "billing.sync_subscription":
            return
        with Session(db.get_engine()) as other:
            self.seen.append(other.get(Subscription, message.kwargs["subscription_id"]) is not None)


def test_a_paid_row_replacing_a_held_plan_is_sent_to_stripe_only_after_its_chunk_commits(
    api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    card_customer(api)
    imported(api, "subscriptions", [{"customerId": "c-1", "planId": "plan-free"}])
    watch = _SeesCommitted()
    api.client.app.state.broker.add_middleware(watch)
    rows = [
        {"customerId": "c-1", "planId": "plan-basic", "billingPeriod": "MONTHLY", "startDate": PAST}
    ]
    assert imported(api, "subscriptions", rows)["created"] == 1
    assert watch.seen == [True]
    paid = [s for s in subscriptions_of("c-1") if s.status == "ACTIVE"]
    assert [s.pricing_type for s in paid] == ["PAID"]
    assert paid[0].billing_id is not None
    assert stripe_client.v1.subscriptions.retrieve(paid[0].billing_id).status == "active"


def test_the_same_files_imported_again_change_nothing_locally_or_in_stripe(
    api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    existing = stripe_client.v1.customers.create({})
    customers = [
        {"customerId": "c-1", "paymentMethodId": "pm_card_visa"},
        {"customerId": "c-2", "billingId": existing.id, "paymentMethodId": "pm_card_visa"},
    ]
    subscriptions = [{"customerId": c, **PAID_ROW} for c in ("c-1", "c-2")]
    imported(api, "customers", customers)
    imported(api, "subscriptions", subscriptions)
    before = stripe_server_counts(stripe_client)
    again = [imported(api, "customers", customers), imported(api, "subscriptions", subscriptions)]
    assert [(s["created"], s["updated"], s["unchanged"]) for s in again] == [(0, 0, 2), (0, 0, 2)]
    assert stripe_server_counts(stripe_client) == before


def stripe_server_counts(client: stripe.StripeClient) -> tuple[int, int, int]:
    return (
        len(client.v1.customers.list().data),
        len(client.v1.subscriptions.list({"status": "all"}).data),
        len(client.v1.invoices.list().data),
    )


def test_a_row_clearing_the_billing_id_of_a_linked_customer_fails_and_keeps_the_link(
    api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    existing = stripe_client.v1.customers.create({})
    imported(api, "customers", [{"customerId": "c-1", "billingId": existing.id}])
    summary = imported(api, "customers", [{"customerId": "c-1", "billingId": None}])
    assert reasons(summary) == [
        f"customer 'c-1' is billed to Stripe customer {existing.id!r}; billingId cannot be cleared"
    ]
    assert customer("c-1").billing_id == existing.id


def test_an_ended_paid_subscription_is_recorded_without_a_card_and_stays_out_of_stripe(
    api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    imported(api, "customers", [{"customerId": "c-1"}])
    ended = {**PAID_ROW, "endDate": "2026-10-10T00:00:00Z"}
    assert imported(api, "subscriptions", [{"customerId": "c-1", **ended}])["created"] == 1
    assert [s.status for s in subscriptions_of("c-1")] == ["CANCELED"]
    assert stripe_client.v1.subscriptions.list({"status": "all"}).data == []
