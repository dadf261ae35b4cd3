"""What is costly to compute is computed when the query asks for it, and only then."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from tests.conftest import GraphQL, statements

PROMOTIONS = re.compile(r"\bFROM promotional_entitlement\b")
ENTITLEMENT_READS = re.compile(r"\bFROM (subscription|promotional_entitlement)\b")
PROVISION = """
mutation($input: ProvisionCustomerInput!) {
  provisionCustomer(input: $input) { %s }
}
"""
GET = """
query($input: GetCustomerByRefIdInput!) { getCustomerByRefId(input: $input) { %s } }
"""
GRANTED = "\nfragment Granted on Customer { promotionalEntitlements { status } }"


def provision(gql: GraphQL, ref: str, selection: str) -> dict[str, Any]:
    answer: dict[str, Any] = gql(PROVISION % selection, {"input": {"customerId": ref}})
    return answer["provisionCustomer"]


@pytest.mark.usefixtures("catalog_applied")
def test_provisioning_computes_entitlements_only_when_asked(gql: GraphQL, engine: Engine) -> None:
    with statements(engine) as seen:
        plain = provision(gql, "sel-1", "customer { customerId } subscriptionDecisionStrategy")
    assert plain["customer"] == {"customerId": "sel-1"}
    assert [s for s in seen if ENTITLEMENT_READS.search(s)] == []
    asked = provision(gql, "sel-2", "entitlements { isGranted feature { refId } }")
    assert isinstance(asked["entitlements"], list)


@pytest.mark.usefixtures("catalog_applied")
def test_promotional_entitlements_are_read_only_when_asked(gql: GraphQL, engine: Engine) -> None:
    provision(gql, "sel-3", "customer { customerId }")
    variables = {"input": {"customerId": "sel-3"}}
    with statements(engine) as seen:
        gql(GET % "customerId", variables)
    assert [s for s in seen if PROMOTIONS.search(s)] == []
    for selection in (
        "promotionalEntitlements { status }",
        "...Granted",
        "... on Customer { promotionalEntitlements { status } }",
    ):
        document = GET % selection + (GRANTED if "Granted" in selection else "")
        with statements(engine) as seen:
            found = gql(document, variables)["getCustomerByRefId"]
        assert found["promotionalEntitlements"] == [], selection
        assert [s for s in seen if PROMOTIONS.search(s)], selection


SUBSCRIBE = """
mutation($input: ProvisionSubscriptionInput!) {
  provisionSubscriptionV2(input: $input) { %s }
}
"""
# What rendering the subscription reads (its features and the customer's promotions),
# and what its entitlements read.
VIEW_READS = re.compile(r"\bFROM (feature|promotional_entitlement|customer_entitlement)\b")


@pytest.mark.usefixtures("catalog_applied")
def test_a_subscription_is_rendered_and_its_entitlements_computed_only_when_asked(
    gql: GraphQL, engine: Engine
) -> None:
    def subscribe(ref: str, selection: str) -> dict[str, Any]:
        provision(gql, ref, "customer { customerId }")
        variables = {"input": {"customerId": ref, "planId": "plan-revvenu-free"}}
        answer: dict[str, Any] = gql(SUBSCRIBE % selection, variables)
        return answer["provisionSubscriptionV2"]

    with statements(engine) as seen:
        plain = subscribe("sub-1", "id status")
    assert plain["status"] == "SUCCESS"
    assert plain["id"]
    assert [s for s in seen if VIEW_READS.search(s)] == []

    with statements(engine) as seen:
        asked = subscribe(
            "sub-2",
            "subscription { refId plan { refId } customer { promotionalEntitlements { status } } }"
            " entitlements { isGranted }",
        )
    assert asked["subscription"]["plan"]["refId"] == "plan-revvenu-free"
    assert asked["subscription"]["customer"]["promotionalEntitlements"] == []
    assert isinstance(asked["entitlements"], list)
    assert [s for s in seen if VIEW_READS.search(s)]
