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
