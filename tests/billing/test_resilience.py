"""Redelivered jobs create nothing twice; billing information is never kept in clear."""

from __future__ import annotations

import json

import dramatiq
import pytest
import stripe
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session

from app.billing.catalog import sync_catalog
from app.billing.errors import BillingUnavailable
from app.config import Settings
from app.customers.service import provision_customer
from app.models import Environment, Subscription
from app.subscriptions import service
from tests.billing.conftest import card_on_file, remote
from tests.stripe_server.server import StripeTestServer
from workers import billing as jobs
from workers.broker import build_broker

SECRETS = ["Secret Street 9", "Aarhus", "+45 11 22 33 44", "DK99887766", "8000-C", "Parcel Lane 3"]
BILLING_INFORMATION = {
    "billingAddress": {
        "country": "DK",
        "city": "Aarhus",
        "addressLine1": "Secret Street 9",
        "postalCode": "8000-C",
        "phoneNumber": "+45 11 22 33 44",
    },
    "shippingAddress": {"country": "DK", "addressLine1": "Parcel Lane 3"},
    "taxIds": [{"type": "eu_vat", "value": "DK99887766"}],
    "paymentMethodId": "pm_card_visa",
}


def paid_subscription(session: Session, environment: Environment) -> Subscription:
    """A paid subscription of a customer whose card is on file in Stripe."""
    result = provision_customer(session, environment, {"customerId": "c-1"})
    card_on_file(session, result.customer.id)
    outcome = service.provision_subscription(
        session, environment, {"customerId": "c-1", "planId": "basic", "billingPeriod": "MONTHLY"}
    )
    session.commit()
    return outcome.subscription


@pytest.mark.usefixtures("catalog")
def test_job_that_dies_after_the_stripe_call_creates_nothing_twice(
    session: Session,
    environment: Environment,
    stripe_client: stripe.StripeClient,
    stripe_server: StripeTestServer,
    billing_settings: Settings,
    engine: Engine,
) -> None:
    build_broker(billing_settings)
    sub = paid_subscription(session, environment)
    # Stripe creates the subscription, but the answer never arrives: the job dies
    # before it can record anything, and its transaction rolls back.
    stripe_server.fail_next(500, 1, path="/v1/subscriptions", method="POST", after_execution=True)
    with pytest.raises(BillingUnavailable):
        jobs.sync_subscription(sub.id)
    session.expire_all()
    assert session.get(Subscription, sub.id).billing_id is None  # type: ignore[union-attr]
    assert remote(stripe_client)["subscriptions"] == 1, [
        (r["method"], r["path"]) for r in stripe_server.api.requests
    ]
    jobs.sync_subscription(sub.id)  # the redelivery
    session.expire_all()
    assert session.get(Subscription, sub.id).billing_id is not None  # type: ignore[union-attr]
    assert remote(stripe_client)["subscriptions"] == 1
    assert remote(stripe_client)["customers"] == 1


@pytest.mark.usefixtures("catalog")
def test_catalog_sync_twice_creates_nothing_new(
    session: Session, environment: Environment, stripe_client: stripe.StripeClient
) -> None:
    first = sync_catalog(environment.id)
    session.commit()
    prices = len(stripe_client.v1.prices.list({"limit": 100}).data)
    products = len(stripe_client.v1.products.list({"limit": 100}).data)
    # Forget the local ids: the objects must be found again, not created again.
    session.execute(text("UPDATE package_price SET billing_id = NULL"))
    session.execute(text("UPDATE package SET billing_id = NULL"))
    session.execute(text("UPDATE coupon SET billing_id = NULL"))
    session.execute(text("UPDATE promotion_code SET billing_id = NULL"))
    session.commit()
    assert sync_catalog(environment.id) == first
    session.commit()
    assert len(stripe_client.v1.prices.list({"limit": 100}).data) == prices
    assert len(stripe_client.v1.products.list({"limit": 100}).data) == products
    assert prices > 0


@pytest.mark.usefixtures("catalog")
def test_billing_information_is_nowhere_in_clear_text(
    session: Session,
    environment: Environment,
    engine: Engine,
    billing_settings: Settings,
    stripe_client: stripe.StripeClient,
    capsys: pytest.CaptureFixture[str],
) -> None:
    broker = build_broker(billing_settings)
    provision_customer(
        session,
        environment,
        {"customerId": "c-1", "name": "Acme", "billingInformation": BILLING_INFORMATION},
    )
    session.commit()
    # The message at rest in the broker, before any worker takes it.
    queued = list(broker.queues["default"].queue)  # type: ignore[attr-defined]
    assert queued, "a customer sync job was queued"
    at_rest = b"".join(m if isinstance(m, bytes) else json.dumps(m).encode() for m in queued)
    for value in SECRETS:
        assert value.encode() not in at_rest
    message = dramatiq.Message.decode(queued[0])
    jobs.sync_customer(**message.kwargs)
    # Stripe got the details...
    (customer,) = stripe_client.v1.customers.list({"limit": 10}).data
    assert customer.address is not None and customer.address.city == "Aarhus"
    # ...and no table, nor any log line, holds them.
    with engine.connect() as connection:
        dump = "\n".join(
            str(row)
            for table in inspect(engine).get_table_names()
            for row in connection.execute(text(f'SELECT * FROM "{table}"'))
        )
    logs = capsys.readouterr()
    for value in SECRETS:
        assert value not in dump
        assert value not in logs.err + logs.out
