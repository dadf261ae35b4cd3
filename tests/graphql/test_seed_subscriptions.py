"""The subscription and coupon documents of the platform's GraphQL guide run unchanged.

Each test provisions what the document refers to, runs the stored document with the
stored variables (only a subscription id swapped for one the test created, see
``seeds/README.md``), and checks the answer has the documented shape: the same keys
and values of the documented types.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import GraphQL

SEEDS = Path(__file__).parent / "seeds"
ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

PROVISION_CUSTOMER = """
mutation($input: ProvisionCustomerInput!) { provisionCustomer(input: $input) { customer { id } } }
"""
PROVISION_SUBSCRIPTION = """
mutation($input: ProvisionSubscriptionInput!) {
  provisionSubscriptionV2(input: $input) { status subscription { refId status } }
}"""


def seed(name: str) -> tuple[str, dict[str, Any]]:
    return (SEEDS / f"{name}.graphql").read_text(), json.loads((SEEDS / f"{name}.json").read_text())


# A small language for the documented shapes: a dict is an object with exactly those
# keys, ``[x]`` a list of x, ``Maybe(x)`` x or null, a pattern a matching string.


@dataclass(frozen=True)
class Maybe:
    shape: Any


NUMBER = (int, float)


def assert_shape(value: Any, shape: Any, path: str = "$") -> None:
    if isinstance(shape, Maybe):
        if value is not None:
            assert_shape(value, shape.shape, path)
        return
    assert value is not None, f"{path} is null"
    if isinstance(shape, dict):
        assert isinstance(value, dict), f"{path} is not an object: {value!r}"
        assert set(value) == set(shape), f"{path} keys {sorted(value)} != {sorted(shape)}"
        for key, inner in shape.items():
            assert_shape(value[key], inner, f"{path}.{key}")
    elif isinstance(shape, list):
        assert isinstance(value, list), f"{path} is not a list: {value!r}"
        for index, item in enumerate(value):
            assert_shape(item, shape[0], f"{path}[{index}]")
    elif isinstance(shape, re.Pattern):
        assert isinstance(value, str), f"{path} is not a string: {value!r}"
        assert shape.match(value), f"{path} {value!r} does not match {shape.pattern}"
    else:
        assert isinstance(value, shape), f"{path} {value!r} is not {shape}"
        assert shape is bool or not isinstance(value, bool), f"{path} is a boolean"


INVOICE = Maybe(
    {
        "billingId": str,
        "status": str,
        "createdAt": ISO_MS,
        "updatedAt": ISO_MS,
        "requiresAction": bool,
        "paymentUrl": Maybe(str),
        "paymentSecret": Maybe(str),
        "errorMessage": Maybe(str),
    }
)
CHANGED_SUBSCRIPTION = {
    "id": UUID,
    "refId": str,
    "status": str,
    "additionalMetaData": Maybe(dict),
    "plan": {"id": UUID, "refId": str},
    "addons": [{"quantity": int, "addon": {"id": UUID, "refId": str}}],
    "customer": {"id": UUID, "refId": str},
    "paymentCollection": str,
    "latestInvoice": INVOICE,
}
MONEY = {"amount": NUMBER, "currency": str}


def provision_customer(gql: GraphQL, customer_id: str) -> None:
    gql(PROVISION_CUSTOMER, {"input": {"customerId": customer_id, "name": "Acme"}})


def provision_subscription(gql: GraphQL, **fields: Any) -> str:
    result = gql(PROVISION_SUBSCRIPTION, {"input": fields})["provisionSubscriptionV2"]
    assert result["status"] == "SUCCESS"
    ref_id: str = result["subscription"]["refId"]
    return ref_id


def essentials(gql: GraphQL, customer_id: str = "customer-demo-01", **fields: Any) -> str:
    """A paid subscription with a per-unit price and an addon, so every list has items."""
    provision_customer(gql, customer_id)
    return provision_subscription(
        gql,
        customerId=customer_id,
        planId="plan-revvenu-essentials",
        billingPeriod="MONTHLY",
        billableFeatures=[{"featureId": "feature-01-templates", "quantity": 3}],
        addons=[{"addonId": "addon-10-campaigns", "quantity": 2}],
        skipTrial=True,
        additionalMetaData={"key": "value"},
        **fields,
    )


@pytest.mark.usefixtures("catalog_applied")
def test_create_subscription_seed_returns_documented_shape(gql: GraphQL) -> None:
    provision_customer(gql, "customer-id")
    document, variables = seed("CreateSubscription")
    created = gql(document, variables)["createSubscription"]
    assert_shape(created, {**CHANGED_SUBSCRIPTION, "resource": Maybe({"resourceId": str})})
    # Basic prices templates per unit; the seed buys none, so it buys the minimum (1).
    assert created["plan"]["refId"] == "plan-revvenu-basic"
    assert created["addons"] == [
        {
            "quantity": 2,
            "addon": {"id": created["addons"][0]["addon"]["id"], "refId": "addon-extra-stuff"},
        }
    ]
    assert created["customer"]["refId"] == "customer-id"
    assert created["resource"] == {"resourceId": "resource-01"}
    assert created["additionalMetaData"] == {"key": "value"}
    assert created["status"] == "ACTIVE"
    assert created["paymentCollection"] == "NOT_REQUIRED"


@pytest.mark.usefixtures("catalog_applied")
def test_update_one_subscription_seed_returns_documented_shape(gql: GraphQL) -> None:
    ref_id = essentials(gql)
    document, variables = seed("UpdateOneSubscription")
    assert variables["input"]["refId"] == "subscription-plan-professional-4dfecf"
    variables["input"]["refId"] = ref_id
    updated = gql(document, variables)["updateOneSubscription"]
    assert_shape(updated, CHANGED_SUBSCRIPTION)
    assert updated["refId"] == ref_id
    assert updated["status"] == "ACTIVE"
    assert updated["additionalMetaData"] == {"key": "value"}
    assert [a["quantity"] for a in updated["addons"]] == [2]
    templates = gql(
        "query($id: String!) { getSubscription(input: {subscriptionId: $id}) "
        "{ prices { usageLimit price { feature { refId } } } } }",
        {"id": ref_id},
    )["getSubscription"]["prices"]
    assert {"usageLimit": 2.0, "price": {"feature": {"refId": "feature-01-templates"}}} in templates


@pytest.mark.usefixtures("catalog_applied")
def test_cancel_subscription_seed_returns_documented_shape(gql: GraphQL) -> None:
    ref_id = essentials(gql)
    document, variables = seed("CancelSubscription")
    variables["input"]["subscriptionRefId"] = ref_id
    cancelled = gql(document, variables)["cancelSubscription"]
    assert cancelled == {
        "refId": ref_id,
        "status": "CANCELED",
        "additionalMetaData": {"key": "value"},
    }


@pytest.mark.usefixtures("catalog_applied")
def test_get_active_subscriptions_list_seed_returns_documented_shape(gql: GraphQL) -> None:
    ref_id = essentials(gql, resourceId="resource-01")
    provision_subscription(
        gql, customerId="customer-demo-01", planId="plan-revvenu-free", resourceId="resource-02"
    )
    document, variables = seed("GetActiveSubscriptionsList")
    (listed,) = gql(document, variables)["getActiveSubscriptions"]
    assert_shape(
        listed,
        {
            "subscriptionId": str,
            "status": str,
            "pricingType": str,
            "startDate": ISO_MS,
            "currentBillingPeriodEnd": ISO_MS,
            "customer": {"customerId": str},
            "resource": {"resourceId": str},
            "plan": {"planId": str, "displayName": str},
            "addons": [{"quantity": int, "addon": {"addonId": str}}],
        },
    )
    assert listed["subscriptionId"] == ref_id
    assert listed["status"] == "ACTIVE"
    assert listed["pricingType"] == "PAID"
    assert listed["customer"] == {"customerId": "customer-demo-01"}
    assert listed["resource"] == {"resourceId": "resource-01"}
    assert listed["plan"] == {"planId": "plan-revvenu-essentials", "displayName": "Essentials"}
    assert listed["addons"] == [{"quantity": 2, "addon": {"addonId": "addon-10-campaigns"}}]


@pytest.mark.usefixtures("catalog_applied")
def test_get_subscription_seed_returns_documented_shape(gql: GraphQL) -> None:
    ref_id = essentials(gql)
    document, variables = seed("GetActiveSubscriptions")
    assert variables["input"]["subscriptionId"] == "subscription-id"
    variables["input"]["subscriptionId"] = ref_id
    subscription = gql(document, variables)["getSubscription"]
    assert_shape(
        subscription,
        {
            "id": UUID,
            "startDate": ISO_MS,
            "endDate": Maybe(ISO_MS),
            "trialEndDate": Maybe(ISO_MS),
            "cancellationDate": Maybe(ISO_MS),
            "effectiveEndDate": Maybe(ISO_MS),
            "status": str,
            "refId": str,
            "currentBillingPeriodEnd": ISO_MS,
            "additionalMetaData": Maybe(dict),
            "prices": [
                {
                    "usageLimit": Maybe(NUMBER),
                    "price": {
                        "billingModel": str,
                        "billingPeriod": str,
                        "price": MONEY,
                        "feature": Maybe(
                            {
                                "featureUnits": Maybe(str),
                                "featureUnitsPlural": Maybe(str),
                                "displayName": str,
                                "refId": str,
                            }
                        ),
                    },
                }
            ],
            "totalPrice": Maybe({"subTotal": MONEY, "total": MONEY}),
            "pricingType": str,
            "plan": {
                "id": UUID,
                "refId": str,
                "displayName": str,
                "description": Maybe(str),
                "additionalMetaData": Maybe(dict),
            },
            "addons": [
                {
                    "id": UUID,
                    "quantity": int,
                    "addon": {
                        "id": UUID,
                        "refId": str,
                        "displayName": str,
                        "description": Maybe(str),
                        "additionalMetaData": Maybe(dict),
                    },
                }
            ],
            "paymentCollection": str,
            "latestInvoice": INVOICE,
        },
    )
    assert subscription["refId"] == ref_id
    assert subscription["status"] == "ACTIVE"
    assert subscription["pricingType"] == "PAID"
    assert subscription["paymentCollection"] == "NOT_REQUIRED"
    assert subscription["latestInvoice"] is None
    prices = {
        (p["price"]["billingModel"], p["usageLimit"], p["price"]["price"]["amount"])
        for p in subscription["prices"]
    }
    # Plan flat fee 10, 3 templates at 5, and the campaign addon's flat fee of 5 (x2).
    assert prices == {("FLAT_FEE", None, 10), ("PER_UNIT", 3, 5), ("FLAT_FEE", None, 5)}
    assert subscription["totalPrice"] == {
        "subTotal": {"amount": 35, "currency": "USD"},
        "total": {"amount": 35, "currency": "USD"},
    }


@pytest.mark.usefixtures("catalog_applied")
def test_get_subscription_seed_of_a_free_subscription_has_no_prices(gql: GraphQL) -> None:
    provision_customer(gql, "customer-id")
    ref_id = provision_subscription(gql, customerId="customer-id", planId="plan-revvenu-free")
    document, variables = seed("GetActiveSubscriptions")
    variables["input"]["subscriptionId"] = ref_id
    subscription = gql(document, variables)["getSubscription"]
    assert subscription["pricingType"] == "FREE"
    assert subscription["prices"] == []
    assert subscription["totalPrice"] is None
    assert subscription["addons"] == []


@pytest.mark.usefixtures("catalog_applied")
def test_migrate_subscription_to_latest_seed_returns_documented_shape(gql: GraphQL) -> None:
    ref_id = essentials(gql)
    document, variables = seed("MigrateSubscriptionToLatest")
    assert variables["input"]["subscriptionMigrationTime"] == "END_OF_BILLING_PERIOD"
    variables["input"]["subscriptionId"] = ref_id
    assert gql(document, variables) == {"migrateSubscriptionToLatest": {"subscriptionId": ref_id}}


@pytest.mark.usefixtures("catalog_applied")
def test_fetch_coupons_seed_returns_documented_shape(gql: GraphQL) -> None:
    document, variables = seed("FetchCoupons")
    edges = gql(document, variables)["coupons"]["edges"]
    assert_shape(
        edges,
        [
            {
                "node": {
                    "id": UUID,
                    "discountValue": NUMBER,
                    "type": str,
                    "additionalMetaData": Maybe(dict),
                    "refId": str,
                    "name": str,
                    "description": Maybe(str),
                    "createdAt": ISO_MS,
                    "updatedAt": ISO_MS,
                    "billingId": Maybe(str),
                    "status": str,
                }
            }
        ],
    )
    assert {edge["node"]["refId"] for edge in edges} == {
        "coupon-id",
        "coupon-ten-off",
        "coupon-vip",
        "your coupon id",
    }
    assert {edge["node"]["status"] for edge in edges} == {"ACTIVE"}
    vip = next(edge["node"] for edge in edges if edge["node"]["refId"] == "coupon-vip")
    assert (vip["name"], vip["type"], vip["discountValue"]) == ("VIP", "PERCENTAGE", 20)
