"""The raw-event document of the platform's GraphQL guide runs unchanged."""

from __future__ import annotations

from sqlmodel import Session, select

from app.models import Environment, UsageEvent
from tests.conftest import GraphQL
from tests.entitlements.event_factories import (
    apply_metered_catalog,
    meter,
    set_meter,
    subscribed_customer,
)
from tests.graphql.test_seed_subscriptions import seed

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


def test_report_event_counts_once_in_a_unique_users_meter(
    gql: GraphQL, session: Session, environment: Environment
) -> None:
    apply_metered_catalog(session, environment)
    subscribed_customer(session, environment, "customer-demo-01")
    set_meter(session, environment, "calls", meter("user_login", "UNIQUE", "user_id"))
    document, variables = seed("ReportEvent")

    gql(document, variables)
    gql(document, variables)

    check = gql(CHECK, {"q": {"customerId": "customer-demo-01", "featureId": "calls"}})
    assert check["entitlement"] == {"currentUsage": 1, "isGranted": True}
