"""reportEvent inputs: a batch is validated whole, every problem named by its path.

One bad event refuses the whole call (nothing is stored), and the error lists every
problem found, e.g. ``events.usageEvents[3].timestamp``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainValidator, ValidationInfo

from app.entitlements.errors import TooManyItems
from app.entitlements.event_store import RawEvent
from app.entitlements.events import EARLIEST, MAX_AHEAD, MAX_EVENTS
from app.entitlements.schemas import Dimensions, Id
from app.errors import ValidationFailed
from app.validation import validate


def _moment(value: object, info: ValidationInfo) -> datetime:
    """An ISO 8601 date-time with a time zone, within the window events are taken in."""
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be an ISO 8601 date-time, e.g. 2025-01-31T12:00:00Z") from None
    if moment.tzinfo is None:
        raise ValueError("must have a time zone (Z or an offset such as +02:00)")
    now: datetime = (info.context or {})["now"]
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 moved out of range by its offset
        raise ValueError("is out of range") from None
    if moment > now + MAX_AHEAD:
        hours = MAX_AHEAD.total_seconds() / 3600
        raise ValueError(f"is more than {hours:.0f} hours ahead of the server's clock")
    if moment < EARLIEST:
        raise ValueError(f"is before {EARLIEST.year}; no usage period reaches that far back")
    return moment


Timestamp = Annotated[datetime, PlainValidator(_moment)]


class UsageEventInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customerId: Id
    eventName: Id
    idempotencyKey: Id
    resourceId: Id | None = None
    dimensions: Dimensions = None
    timestamp: Timestamp | None = None

    def event(self, now: datetime) -> RawEvent:
        return RawEvent(
            customer_ref=self.customerId,
            event_name=self.eventName,
            idempotency_key=self.idempotencyKey,
            timestamp=self.timestamp or now,
            resource_id=self.resourceId,
            dimensions=self.dimensions,
        )


class UsageEventsReportInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    usageEvents: list[UsageEventInput]


def usage_events(data: Mapping[str, Any], now: datetime, *, root: str = "events") -> list[RawEvent]:
    """The events of a reportEvent call, validated; a missing timestamp is ``now``."""
    given = data.get("usageEvents")
    count = len(given) if isinstance(given, list) else None
    if count == 0:
        raise ValidationFailed(
            f"{root}.usageEvents: at least one event is required", field=f"{root}.usageEvents"
        )
    if count is not None and count > MAX_EVENTS:
        raise TooManyItems(
            f"{root}.usageEvents: at most {MAX_EVENTS} events per call, got {count}",
            field=f"{root}.usageEvents",
        )
    report = validate(UsageEventsReportInput, data, root=root, context={"now": now})
    return [item.event(now) for item in report.usageEvents]
