"""The estimate documents of the platform's GraphQL guide run unchanged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import GraphQL

SEEDS = Path(__file__).parent / "seeds"


def seed(name: str) -> tuple[str, dict[str, Any]]:
    return (SEEDS / f"{name}.graphql").read_text(), json.loads((SEEDS / f"{name}.json").read_text())


def customer(gql: GraphQL) -> None:
    gql(
        'mutation { provisionCustomer(input: {customerId: "customer-demo-01"}) '
        "{ customer { customerId } } }"
    )


@pytest.mark.usefixtures("catalog_applied")
def test_estimate_subscription_seed_returns_the_documented_figures(gql: GraphQL) -> None:
    customer(gql)
    document, variables = seed("EstimateSubscription")
    result = gql(document, variables)["estimateSubscription"]
    assert result["subTotal"] == {"amount": 30, "currency": "USD"}
    assert result["total"] == {"amount": 30, "currency": "USD"}
    assert result["proration"] is None
    assert set(result["billingPeriodRange"]) == {"start", "end"}


@pytest.mark.usefixtures("catalog_applied")
def test_estimate_subscription_update_seed_returns_the_documented_shape(gql: GraphQL) -> None:
    customer(gql)
    made = gql(
        "mutation($input: ProvisionSubscriptionInput!) { provisionSubscriptionV2(input: $input)"
        " { subscription { refId } } }",
        {
            "input": {
                "customerId": "customer-demo-01",
                "planId": "plan-revvenu-growth",
                "billingPeriod": "MONTHLY",
                "skipTrial": True,
                "billableFeatures": [{"featureId": "feature-01-templates", "quantity": 2}],
                "addons": [{"addonId": "addon-10-campaigns", "quantity": 2}],
            }
        },
    )["provisionSubscriptionV2"]["subscription"]["refId"]
    document, variables = seed("EstimateSubscriptionUpdate")
    variables["input"]["subscriptionId"] = made
    result = gql(document, variables)["estimateSubscriptionUpdate"]
    proration = result["proration"]
    assert set(proration) == {"prorationDate", "credit", "debit"}
    # Right after the start nearly the whole period remains: 2 -> 7 templates at 1 USD.
    assert proration["credit"]["amount"] == pytest.approx(-2, abs=0.01)
    assert proration["debit"]["amount"] == pytest.approx(7, abs=0.01)
    assert result["subTotal"]["amount"] == pytest.approx(5, abs=0.02)
    assert result["total"]["currency"] == "USD"


ESTIMATE = """
mutation($input: EstimateSubscriptionInput!) {
  estimateSubscription(input: $input) {
    subTotal { amount } total { amount } totalExcludingTax { amount } tax { amount }
  }
}"""


def estimate_with_tax(gql: GraphQL, *tax_rate_ids: str) -> dict[str, Any]:
    customer(gql)
    return dict(
        gql(
            ESTIMATE,
            {
                "input": {
                    "customerId": "customer-demo-01",
                    "planId": "plan-revvenu-free",
                    "billingPeriod": "MONTHLY",
                    "addons": [{"addonId": "addon-extra-stuff", "quantity": 1}],
                    "billingInformation": {"taxRateIds": list(tax_rate_ids)},
                }
            },
        )["estimateSubscription"]
    )


@pytest.mark.usefixtures("catalog_applied")
def test_exclusive_tax_rate_is_added_on_top(gql: GraphQL) -> None:
    plain = estimate_with_tax(gql)
    taxed = estimate_with_tax(gql, "tax-us-ny")
    base = plain["total"]["amount"]
    assert taxed["subTotal"]["amount"] == base
    assert taxed["tax"]["amount"] == pytest.approx(round(base * 0.08875 + 1e-9, 2))
    assert taxed["total"]["amount"] == pytest.approx(base + taxed["tax"]["amount"])


@pytest.mark.usefixtures("catalog_applied")
def test_inclusive_tax_rate_is_reported_inside_the_total(gql: GraphQL) -> None:
    plain = estimate_with_tax(gql)
    taxed = estimate_with_tax(gql, "tax-dk-vat")
    assert taxed["total"]["amount"] == plain["total"]["amount"]
    assert taxed["tax"]["amount"] > 0
    assert taxed["totalExcludingTax"]["amount"] == pytest.approx(
        taxed["total"]["amount"] - taxed["tax"]["amount"]
    )


@pytest.mark.usefixtures("catalog_applied")
def test_unknown_tax_rate_is_refused(gql: GraphQL) -> None:
    customer(gql)
    error = gql.error(
        ESTIMATE,
        {
            "input": {
                "customerId": "customer-demo-01",
                "planId": "plan-revvenu-free",
                "billingInformation": {"taxRateIds": ["txr_nope"]},
            }
        },
    )
    assert error["extensions"]["code"] == "TAX_RATE_NOT_FOUND"
