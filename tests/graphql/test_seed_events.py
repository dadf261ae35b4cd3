"""The raw-event document of the platform's GraphQL guide runs unchanged."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.models import UsageEvent
from tests.conftest import GraphQL
from tests.graphql.test_seed_subscriptions import PROVISION_CUSTOMER, PROVISION_SUBSCRIPTION, seed

pytestmark = pytest.mark.usefixtures("catalog_applied")

CHECK = """
query($q: FetchEntitlementQuery!) { entitlement(query: $q) { currentUsage isGranted } }
"""


def test_report_event_runs_unchanged(gql: GraphQL, session: Session) -> None:
    document, variables = seed("ReportEvent")

    answer = gql(document, variables)

    assert answer == {"reportEvent": None}
    row = session.exec(select(UsageEvent)).one()
    assert (row.customer_ref, row.event_name, row.idempotency_key, row.dimensions) == (
        "customer-demo-01",
        "user_login",
        "888888888",
        {"user_id": "a_user_id"},
    )


def test_report_event_counts_one_active_user_once(gql: GraphQL) -> None:
    gql(PROVISION_CUSTOMER, {"input": {"customerId": "customer-demo-01"}})
    subscription = {"customerId": "customer-demo-01", "planId": "plan-revvenu-free"}
    gql(PROVISION_SUBSCRIPTION, {"input": subscription})
    document, variables = seed("ReportEvent")

    gql(document, variables)
    gql(document, variables)

    query = {"customerId": "customer-demo-01", "featureId": "feature-06-active-users"}
    assert gql(CHECK, {"q": query})["entitlement"] == {"currentUsage": 1, "isGranted": True}


def test_sdk_report_event_input_is_taken_with_its_fixed_timestamp(
    gql: GraphQL, session: Session
) -> None:
    """The Python SDK guide's report_event input (seed 003), an event of 2022."""
    events = {
        "usageEvents": [
            {
                "customerId": "customer-test-id",
                "resourceId": "resource-01",
                "eventName": "user_login",
                "idempotencyKey": "227c1b73-883a-457b-b715-6ba5a2c69ce4",
                "dimensions": {"user_id": "user-01", "user_email": "john@example.com"},
                "timestamp": "2022-10-26T15:01:55.768Z",
            }
        ]
    }
    document, _ = seed("ReportEvent")

    assert gql(document, {"events": events}) == {"reportEvent": None}
    assert gql(document, {"events": events}) == {"reportEvent": None}
    row = session.exec(select(UsageEvent)).one()
    assert row.timestamp.isoformat() == "2022-10-26T15:01:55.768000+00:00"
    assert row.resource_id == "resource-01"
