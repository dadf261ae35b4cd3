"""What Stripe bills equals what the estimate said, to the cent (invariant 12).

End to end: the estimate through GraphQL, then the same subscription provisioned and
synced by the in-process worker to the Stripe test server, whose invoices are read back.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import stripe
from sqlmodel import Session

from app import clock
from app.config import Settings
from app.models import Environment
from tests.billing.test_sync import customer, eventually, provision
from tests.conftest import GraphQL
from tests.stripe_server.server import StripeTestServer
from tests.subscriptions.factories import apply, catalog_data, price

ESTIMATE = """
mutation($input: EstimateSubscriptionInput!) {
  estimateSubscription(input: $input) {
    subTotal { amount } total { amount } discountAmount { amount } tax { amount }
  }
}"""
ESTIMATE_UPDATE = """
mutation($input: EstimateSubscriptionUpdateInput!) {
  estimateSubscriptionUpdate(input: $input) {
    proration { prorationDate credit { amount } debit { amount } }
  }
}"""
UPDATE = """
mutation($input: UpdateSubscriptionInput!) { updateOneSubscription(input: $input) { refId } }
"""


@pytest.fixture
def catalog(session: Session, environment: Environment, billing_settings: Settings) -> None:
    """The subscription tests' catalog, plus prices whose lines round and some taxes."""
    data = catalog_data()
    data["features"].append(
        {"id": "calls", "displayName": "Calls", "featureType": "NUMBER", "meterType": "Fluctuating"}
    )
    data["plans"] += [
        {
            "id": "odd",
            "product": "app",
            "displayName": "Odd",
            "pricingType": "PAID",
            "prices": [
                price("MONTHLY", "49.99"),
                {
                    "billingPeriod": "MONTHLY",
                    "billingModel": "PER_UNIT",
                    "feature": "seats",
                    "amount": "9.99",
                    "currency": "USD",
                },
            ],
            "compatibleAddons": ["extra"],
        },
        {
            "id": "calls",
            "product": "sites",
            "displayName": "Calls",
            "pricingType": "PAID",
            "prices": [
                {
                    "billingPeriod": "MONTHLY",
                    "billingModel": "PER_UNIT",
                    "feature": "calls",
                    "amount": "0.005",
                    "currency": "USD",
                    "maxUnitQuantity": 1_000_000,
                }
            ],
        },
    ]
    data["coupons"] += [
        {"id": "fifteen", "name": "15 %", "type": "PERCENTAGE", "discountValue": 15},
        {
            "id": "ten-off",
            "name": "10 off",
            "type": "FIXED",
            "discountValue": 10,
            "currency": "USD",
        },
    ]
    data["taxRates"] = [
        {"id": "ny", "displayName": "NY sales tax", "percentage": "8.875"},
        {"id": "vat", "displayName": "VAT", "percentage": "19", "inclusive": True},
    ]
    apply(session, environment, data)


def cents(money: dict[str, Any] | None) -> int:
    assert money is not None
    return int((Decimal(str(money["amount"])) * 100).to_integral_value())


def with_card(api: GraphQL) -> None:
    customer(api, billingInformation={"paymentMethodId": "pm_card_visa"})
    assert eventually(lambda: customer(api)["hasPaymentMethod"])


ODD = {
    "planId": "odd",
    "billingPeriod": "MONTHLY",
    "billableFeatures": [{"featureId": "seats", "quantity": 3}],
}
CASES = {
    "flat_fee": {"planId": "basic", "billingPeriod": "MONTHLY"},
    "per_unit": ODD,
    "fractional_cent_unit_price": {
        "planId": "calls",
        "billingPeriod": "MONTHLY",
        "billableFeatures": [{"featureId": "calls", "quantity": 1000}],
    },
    "fractional_cent_rounded_half_up": {
        "planId": "calls",
        "billingPeriod": "MONTHLY",
        "billableFeatures": [{"featureId": "calls", "quantity": 1001}],
    },
    "addon": {**ODD, "addons": [{"addonId": "extra", "quantity": 2}]},
    "percentage_coupon": {**ODD, "appliedCoupon": {"couponId": "fifteen"}},
    "fixed_coupon": {
        **ODD,
        "addons": [{"addonId": "extra", "quantity": 1}],
        "appliedCoupon": {"couponId": "ten-off"},
    },
    "exclusive_tax": {**ODD, "billingInformation": {"taxRateIds": ["ny"]}},
    "inclusive_tax": {**ODD, "billingInformation": {"taxRateIds": ["vat"]}},
    "coupon_then_two_taxes": {
        **ODD,
        "addons": [{"addonId": "extra", "quantity": 3}],
        "billingInformation": {"couponId": "fifteen", "taxRateIds": ["ny", "vat"]},
    },
}


@pytest.mark.parametrize("fields", CASES.values(), ids=CASES.keys())
def test_first_invoice_is_the_estimate(
    billing_api: GraphQL, stripe_client: stripe.StripeClient, fields: dict[str, Any]
) -> None:
    with_card(billing_api)
    estimate = billing_api(ESTIMATE, {"input": {"customerId": "c-1", **fields}})
    quoted = estimate["estimateSubscription"]

    result = provision(billing_api, skipTrial=True, awaitPaymentConfirmation=True, **fields)

    billing_id = result["subscription"]["billingId"]
    assert billing_id, result
    remote = stripe_client.v1.subscriptions.retrieve(billing_id)
    invoice = stripe_client.v1.invoices.retrieve(str(remote.latest_invoice))
    taxes = invoice.total_taxes or []
    assert invoice.total == cents(quoted["total"])
    assert invoice.subtotal == cents(quoted["subTotal"])
    assert sum(d.amount for d in invoice.total_discount_amounts or []) == cents(
        quoted["discountAmount"]
    )
    assert sum(t.amount for t in taxes) == cents(quoted["tax"])
    assert invoice.amount_paid == invoice.total


def test_billing_information_reaches_stripe(
    billing_api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    with_card(billing_api)
    result = provision(
        billing_api,
        skipTrial=True,
        awaitPaymentConfirmation=True,
        **ODD,
        billingInformation={
            "taxRateIds": ["vat", "ny"],
            "couponId": "fifteen",
            "billingAddress": {"line1": "1 Main St", "city": "Oslo", "country": "NO"},
        },
    )

    remote = stripe_client.v1.subscriptions.retrieve(
        result["subscription"]["billingId"], {"expand": ["discounts", "customer"]}
    )
    rates = [(r.percentage, r.inclusive) for r in remote.default_tax_rates or []]
    assert rates == [(19.0, True), (8.875, False)]
    assert [d.source.coupon for d in remote.discounts] == [  # type: ignore[union-attr]
        stripe_client.v1.coupons.list().data[0].id
    ]
    owner = remote.customer
    assert isinstance(owner, stripe.Customer)
    assert eventually(lambda: stripe_client.v1.customers.retrieve(owner.id).address is not None)
    address = stripe_client.v1.customers.retrieve(owner.id).address
    assert address is not None and (address.line1, address.city) == ("1 Main St", "Oslo")


def test_tax_rates_are_created_once_in_stripe(
    billing_api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    with_card(billing_api)
    for ref in ("a", "b"):
        provision(
            billing_api,
            skipTrial=True,
            awaitPaymentConfirmation=True,
            planId="site",
            billingPeriod="MONTHLY",
            resourceId=ref,
            billingInformation={"taxRateIds": ["ny"]},
        )

    rates = stripe_client.v1.tax_rates.list().data
    assert [(r.percentage, r.inclusive) for r in rates] == [(8.875, False)]


def test_changing_tax_rates_and_coupon_updates_stripe(
    billing_api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    with_card(billing_api)
    shown = provision(
        billing_api,
        skipTrial=True,
        awaitPaymentConfirmation=True,
        **ODD,
        billingInformation={"taxRateIds": ["ny"]},
    )["subscription"]

    billing_api(
        UPDATE,
        {
            "input": {
                "subscriptionId": shown["refId"],
                "billingInformation": {"taxRateIds": ["vat"], "couponId": "ten-off"},
            }
        },
    )

    def remote() -> stripe.Subscription:
        return stripe_client.v1.subscriptions.retrieve(shown["billingId"])

    assert eventually(lambda: remote().discounts)
    assert [r.percentage for r in remote().default_tax_rates or []] == [19.0]


@pytest.fixture
def frozen() -> Iterator[clock.FrozenClock]:
    """The service's clock, standing still until the test moves it."""
    moment = clock.FrozenClock(datetime.now(UTC).replace(microsecond=0))
    clock.set_clock(moment)
    yield moment
    clock.set_clock(None)


def proration_lines(client: stripe.StripeClient, billing_id: str) -> list[int]:
    preview = client.v1.invoices.create_preview({"subscription": billing_id})
    return [
        line.amount
        for line in preview.lines.data
        if line.parent is not None
        and line.parent.subscription_item_details is not None
        and line.parent.subscription_item_details.proration
    ]


def test_mid_period_change_is_prorated_as_estimated(
    frozen: clock.FrozenClock,
    billing_api: GraphQL,
    stripe_server: StripeTestServer,
    stripe_client: stripe.StripeClient,
) -> None:
    with_card(billing_api)
    # Started an hour ago, so Stripe's period starts on the same second as ours.
    start = (frozen.current - timedelta(hours=1)).isoformat()
    shown = provision(
        billing_api, skipTrial=True, awaitPaymentConfirmation=True, startDate=start, **ODD
    )["subscription"]
    assert shown["billingId"], shown
    # The change is made thirteen days and some odd seconds into the period; Stripe's
    # clock is two days further on when the sync reaches it, so a sync that let Stripe
    # choose the moment would bill two days less.
    stripe_server.advance_time(15 * 86_400)
    frozen.advance(timedelta(days=13, seconds=4321))
    change = {
        "subscriptionId": shown["refId"],
        "billableFeatures": [{"featureId": "seats", "quantity": 7}],
        "addons": [{"addonId": "extra", "quantity": 1}],
    }
    estimate = billing_api(ESTIMATE_UPDATE, {"input": change})
    proration = estimate["estimateSubscriptionUpdate"]["proration"]

    billing_api(UPDATE, {"input": change})

    lines = eventually(lambda: proration_lines(stripe_client, shown["billingId"]))
    assert sum(a for a in lines if a < 0) == cents(proration["credit"])
    assert sum(a for a in lines if a > 0) == cents(proration["debit"])
    assert cents(proration["credit"]) < 0 < cents(proration["debit"])
