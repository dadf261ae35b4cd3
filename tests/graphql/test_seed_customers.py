"""The customer documents of the platform's GraphQL guide run unchanged."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import GraphQL

SEEDS = Path(__file__).parent / "seeds"
ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def seed(name: str) -> tuple[str, dict[str, Any]]:
    return (SEEDS / f"{name}.graphql").read_text(), json.loads((SEEDS / f"{name}.json").read_text())


@pytest.mark.usefixtures("catalog_applied")
def test_provision_customer_seed_returns_documented_shape(gql: GraphQL) -> None:
    document, variables = seed("ProvisionCustomer")
    result = gql(document, variables)["provisionCustomer"]
    customer = result["customer"]
    assert customer == {
        "refId": "customer-id",
        "name": "Acme",
        "email": "john@example.com",
        "createdAt": customer["createdAt"],
        "billingId": None,
        "crmId": None,
        "hasPaymentMethod": False,
        "additionalMetaData": {"key": "value"},
    }
    assert ISO_MS.match(customer["createdAt"])
    assert result["subscriptionDecisionStrategy"] in {
        "REQUESTED_PLAN",
        "PREDEFINED_FREE_PLAN",
        "PREDEFINED_TRIAL_PLAN",
        "SKIPPED_SUBSCRIPTION_CREATION",
    }
    assert set(result) == {"customer", "subscriptionDecisionStrategy", "subscription"}


@pytest.mark.usefixtures("catalog_applied")
def test_update_one_customer_seed_returns_documented_shape(gql: GraphQL) -> None:
    gql(
        'mutation { provisionCustomer(input: {customerId: "customer-id", name: "Old"}) '
        "{ customer { refId } } }"
    )
    document, variables = seed("UpdateOneCustomer")
    customer = gql(document, variables)["updateOneCustomer"]
    assert set(customer) == {
        "refId",
        "name",
        "email",
        "createdAt",
        "billingId",
        "crmId",
        "hasPaymentMethod",
        "additionalMetaData",
    }
    assert customer["refId"] == "customer-id"
    assert customer["name"] == "Acme"
    assert customer["email"] == "john@example.com"
    assert customer["additionalMetaData"] == {"key": "value"}
    assert customer["hasPaymentMethod"] is False


@pytest.mark.usefixtures("catalog_applied")
def test_get_customer_by_ref_id_seed_returns_documented_shape(gql: GraphQL) -> None:
    gql(
        "mutation($input: ProvisionCustomerInput!) { provisionCustomer(input: $input) "
        "{ customer { id } } }",
        {
            "input": {
                "customerId": "customer-demo-01",
                "name": "Acme",
                "email": "a@acme.com",
                "couponRefId": "coupon-id",
                "additionalMetaData": {"key": "value"},
            }
        },
    )
    document, variables = seed("GetCustomerByRefId")
    customer = gql(document, variables)["getCustomerByRefId"]
    assert set(customer) == {
        "id",
        "name",
        "email",
        "createdAt",
        "updatedAt",
        "hasPaymentMethod",
        "customerId",
        "billingId",
        "additionalMetaData",
        "coupon",
        "promotionalEntitlements",
    }
    assert customer["customerId"] == "customer-demo-01"
    assert customer["name"] == "Acme"
    assert customer["promotionalEntitlements"] == []
    coupon = customer["coupon"]
    assert coupon["refId"] == "coupon-id"
    assert coupon["status"] == "ACTIVE"
    assert coupon["type"] in {"PERCENTAGE", "FIXED"}
    assert isinstance(coupon["discountValue"], float | int)
    assert ISO_MS.match(customer["updatedAt"])
