"""Where raw events are kept: the one seam between ingestion and storage.

``EventStore.append`` stores a batch and answers with the events it had not seen
before; deduplication is the store's job, so whatever replaces the SQL store (a
columnar store fed through a queue, say) must answer the same question. Meter
aggregates are kept by ``app.entitlements.metering`` from what ``append`` returns.

The SQL store keeps events in ``usage_event``, append-only, with a unique key on
(environment, customer, resource, event name, idempotency key). A batch is one
multi-row ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` (app.entitlements.bulk): a
repeated key (earlier, in the same batch or in a concurrent call) is not returned, so
it is counted once. Rows go in a fixed order, so two concurrent batches wait on each
other's keys in the same order and never deadlock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import Table
from sqlmodel import Session

from app.entitlements import bulk
from app.models import UsageEvent

# What makes two events the same event: (customer, resource, event name, key).
EventKey = tuple[str, str, str, str]


@dataclass(frozen=True, slots=True)
class RawEvent:
    customer_ref: str
    event_name: str
    idempotency_key: str
    timestamp: datetime
    resource_id: str | None = None
    dimensions: Mapping[str, Any] | None = None

    @property
    def key(self) -> EventKey:
        return (self.customer_ref, self.resource_id or "", self.event_name, self.idempotency_key)


class EventStore(Protocol):
    def append(
        self, environment_id: str, events: Sequence[RawEvent], received_at: datetime
    ) -> list[RawEvent]:
        """Store the events not seen before and return them (each key once)."""
        ...


def first_of_each(events: Sequence[RawEvent]) -> list[RawEvent]:
    """The batch without repeats (the first of each key stays), ordered by key."""
    unique: dict[EventKey, RawEvent] = {}
    for event in events:
        unique.setdefault(event.key, event)
    return [unique[key] for key in sorted(unique)]


_TABLE: Table = UsageEvent.__table__  # type: ignore[attr-defined]
_COLUMNS = (
    "environment_id",
    "customer_ref",
    "resource_id",
    "event_name",
    "idempotency_key",
    "dimensions",
    "timestamp",
    "received_at",
)


@lru_cache(maxsize=4)
def _append_statement(dialect: str) -> Any:
    return (
        bulk.insert(dialect, _TABLE, _COLUMNS)
        .on_conflict_do_nothing(
            index_elements=[
                "environment_id",
                "customer_ref",
                "resource_id",
                "event_name",
                "idempotency_key",
            ]
        )
        .returning(
            _TABLE.c.customer_ref,
            _TABLE.c.resource_id,
            _TABLE.c.event_name,
            _TABLE.c.idempotency_key,
        )
    )


class SqlEventStore:
    """Events in the service's own database, in the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def append(
        self, environment_id: str, events: Sequence[RawEvent], received_at: datetime
    ) -> list[RawEvent]:
        batch = first_of_each(events)
        if not batch:
            return []
        rows = [
            {
                "environment_id": environment_id,
                "customer_ref": event.customer_ref,
                "resource_id": event.resource_id or "",
                "event_name": event.event_name,
                "idempotency_key": event.idempotency_key,
                "dimensions": event.dimensions,
                "timestamp": event.timestamp,
                "received_at": received_at,
            }
            for event in batch
        ]
        dialect = bulk.dialect_of(self.session)
        result = self.session.execute(_append_statement(dialect), bulk.parameters(dialect, rows))
        stored = {tuple(row) for row in result}
        return [event for event in batch if event.key in stored]
