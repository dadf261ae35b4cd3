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
