"""reportEvent: raw usage events, validated whole and handed to the events service."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlmodel import Session
from strawberry.types.unset import UNSET

from app import clock
from app.entitlements import event_schemas
from app.entitlements import events as event_service
from app.graphql.common import JSON
from app.graphql.context import Info, run
from app.models import Environment


@strawberry.input
class UsageEventReportInput:
    customer_id: str
    event_name: str
    idempotency_key: str
    resource_id: str | None = UNSET
    dimensions: JSON | None = UNSET
    timestamp: str | None = UNSET


@strawberry.input
class UsageEventsReportInput:
    usage_events: list[UsageEventReportInput]


_FIELDS = (
    ("customerId", "customer_id"),
    ("eventName", "event_name"),
    ("idempotencyKey", "idempotency_key"),
    ("resourceId", "resource_id"),
    ("dimensions", "dimensions"),
    ("timestamp", "timestamp"),
)


def _plain(item: UsageEventReportInput) -> dict[str, Any]:
    # A thousand events a call: read the six fields directly rather than introspecting.
    values = ((name, getattr(item, attribute)) for name, attribute in _FIELDS)
    return {name: value for name, value in values if value is not UNSET}


@strawberry.type
class EventMutations:
    @strawberry.mutation
    async def report_event(self, info: Info, events: UsageEventsReportInput) -> str | None:
        now = clock.now()
        batch = event_schemas.usage_events(
            {"usageEvents": [_plain(item) for item in events.usage_events]}, now
        )

        def call(session: Session, environment: Environment) -> None:
            event_service.report_events(session, environment.id, batch, now)

        await run(info, call)
        return None
