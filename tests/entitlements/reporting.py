"""reportEvent and entitlement over GraphQL, as the event tests call them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from app.models import UsageEvent
from tests.conftest import GraphQL

REPORT = "mutation($events: UsageEventsReportInput!) { reportEvent(events: $events) }"
CHECK = """
query($q: FetchEntitlementQuery!) {
  entitlement(query: $q) { currentUsage isGranted accessDeniedReason usagePeriodStart }
}"""


def event(key: str, dimensions: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """An api_call event of customer c-1; ``fields`` add or replace input fields."""
    return {
        "customerId": "c-1",
        "eventName": "api_call",
        "idempotencyKey": key,
        **({"dimensions": dimensions} if dimensions is not None else {}),
        **fields,
    }


def report(gql: GraphQL, events: list[dict[str, Any]]) -> None:
    assert gql(REPORT, {"events": {"usageEvents": events}}) == {"reportEvent": None}


def usage(gql: GraphQL, feature: str = "calls", **query: Any) -> float:
    """currentUsage of an entitlement check (customer c-1 unless ``query`` says)."""
    q = {"customerId": "c-1", "featureId": feature, **query}
    found: float = gql(CHECK, {"q": q})["entitlement"]["currentUsage"]
    return found


def stored(session: Session) -> int:
    count: int = session.exec(select(func.count()).select_from(UsageEvent)).one()
    return count
