"""reportEvent: raw usage events, validated whole and handed to the events service.

A call carries up to a thousand events. graphql-core checks them against the input
types (required fields, strings); Strawberry would then build an object per event and
field, which took longer than storing the events, so ``UsageEventsReportInput`` keeps
the value as graphql-core coerced it (mappings keyed by GraphQL field names) and the
schema in ``app.entitlements.event_schemas`` validates the batch in one pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import strawberry
from sqlmodel import Session
from strawberry.types.arguments import InputContext
from strawberry.types.base import get_object_definition
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


def _as_sent(_cls: type, value: Mapping[str, Any], _context: InputContext) -> Mapping[str, Any]:
    return value


get_object_definition(UsageEventsReportInput, strict=True).from_input = _as_sent


@strawberry.type
class EventMutations:
    @strawberry.mutation
    async def report_event(self, info: Info, events: UsageEventsReportInput) -> str | None:
        now = clock.now()
        sent = cast("Mapping[str, Any]", events)  # see _as_sent
        batch = event_schemas.usage_events(sent, now)

        def call(session: Session, environment: Environment) -> None:
            event_service.report_events(session, environment.id, batch, now)

        await run(info, call)
        return None
