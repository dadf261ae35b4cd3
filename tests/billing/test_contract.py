"""The gateway's calls against a Stripe API: stripe-mock when STRIPE_MOCK_URL is set
(Stripe's own mock validates every parameter against the OpenAPI description), the
stateful test server otherwise. Assertions stay loose enough for stripe-mock, which
answers with fixed example objects."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import stripe
from sqlmodel import Session, select

from app.billing import catalog, customers, state
from app.billing.client import set_gateway
from app.config import Settings, set_settings
from app.customers.schemas import BillingInformation
from app.customers.service import provision_customer
from app.models import Environment, PackagePrice
from tests.stripe_server.server import StripeTestServer
from tests.subscriptions.factories import apply, catalog_data


@pytest.fixture
def api_base(stripe_server: StripeTestServer) -> str:
    return os.environ.get("STRIPE_MOCK_URL") or stripe_server.url


@pytest.fixture
def contract(settings: Settings, api_base: str) -> Iterator[None]:
    set_settings(
        settings.model_copy(
            update={
                "stripe_api_key": "sk_test_123",
                "stripe_api_base": api_base,
                "stripe_max_network_retries": 0,
            }
        )
    )
    set_gateway(None)
    yield
    set_gateway(None)
    set_settings(settings)


@pytest.mark.usefixtures("contract")
def test_customer_with_billing_information_is_accepted(
    session: Session, environment: Environment
) -> None:
    made = provision_customer(
        session, environment, {"customerId": "c-1", "name": "Acme", "email": "billing@acme.com"}
    )
    info = BillingInformation.model_validate(
        {
            "language": "en",
            "billingAddress": {
                "country": "US",
                "city": "New York",
                "addressLine1": "1 Main St",
                "postalCode": "10001",
                "phoneNumber": "+1 212 555 0100",
            },
            "shippingAddress": {"country": "US", "city": "New York"},
            "taxIds": [{"type": "us_ein", "value": "12-3456789"}],
            "paymentMethodId": "pm_card_visa",
        }
    )
    message = state.request_customer_sync(session, made.customer, info)
    session.commit()
    customers.sync_customer(made.customer.id, info, generation=message.kwargs["generation"])
    session.refresh(made.customer)
    assert made.customer.billing_id is not None
    assert made.customer.billing_id.startswith("cus_")
    assert made.customer.has_payment_method is True


@pytest.mark.usefixtures("contract")
def test_prices_and_coupons_are_accepted(session: Session, environment: Environment) -> None:
    apply(session, environment, catalog_data())
    for price in session.exec(select(PackagePrice)).all():
        assert catalog.ensure_price(price.id).startswith("price_")
    assert catalog.sync_catalog(environment.id) > 0


def test_the_sdk_pins_the_api_version() -> None:
    assert stripe.api_version.startswith("20")
