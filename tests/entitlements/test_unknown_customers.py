"""A customer checked before it exists is found by the first check after it is created."""

from __future__ import annotations

from sqlmodel import Session

from app.models import Environment
from tests.conftest import GraphQL
from tests.entitlements.factories import apply_metered_catalog, subscribed_customer

CHECK = """
query($q: FetchEntitlementQuery!) { entitlement(query: $q) { isGranted accessDeniedReason } }
"""


def test_a_check_finds_a_customer_created_after_a_check_that_did_not(
    gql: GraphQL, session: Session, environment: Environment
) -> None:
    apply_metered_catalog(session, environment)
    query = {"q": {"customerId": "newcomer", "featureId": "calls"}}
    before = gql(CHECK, query)["entitlement"]

    subscribed_customer(session, environment, "newcomer")

    assert before["accessDeniedReason"] == "CustomerNotFound"
    assert gql(CHECK, query)["entitlement"] == {"isGranted": True, "accessDeniedReason": None}
