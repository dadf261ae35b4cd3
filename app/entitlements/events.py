"""Raw usage events (reportEvent): each stored once, and counted by the meters it matches.

A call stores its events through an ``EventStore`` and folds the ones not seen before
into meter aggregates in the same transaction, so the next check sees them and a
repeated idempotency key is never counted twice. Events are counted with the customer's
entitlement state at the time they arrive: an event of a customer the environment does
not know (yet), or of a feature the customer is not entitled to, is stored but counts
for nothing, then or later.

Timestamps are bounded: at most ``MAX_AHEAD`` in the future (clocks drift, a day does
not). Late events of any age are taken into the period they belong to (a client
replaying old events, as the platform's own examples do with a fixed timestamp); keys
are remembered for as long as events are kept, so a repeat is never counted twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from app.entitlements import metering
from app.entitlements.event_store import EventStore, RawEvent, SqlEventStore
from app.entitlements.service import state_for

# reportEvent takes at most this many events per call (the platform's limit).
MAX_EVENTS = 1000
MAX_AHEAD = timedelta(hours=24)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


def report_events(
    session: Session,
    environment_id: str,
    events: Sequence[RawEvent],
    now: datetime,
    store: EventStore | None = None,
) -> int:
    """Store a validated batch and count its new events; returns how many were new."""
    stored = (store or SqlEventStore(session)).append(environment_id, events, now)
    by_scope: dict[tuple[str, str | None], list[RawEvent]] = defaultdict(list)
    for event in stored:
        by_scope[(event.customer_ref, event.resource_id)].append(event)
    tally = metering.Tally()
    for (customer_ref, resource_id), scoped in by_scope.items():
        state = state_for(session, environment_id, customer_ref, resource_id, now)
        if state.customer_id is None:
            continue
        meters = metering.metered_grants(state)
        for event in scoped:
            dimensions = event.dimensions or {}
            for metered in meters:
                if metered.meter.matches(event.event_name, dimensions):
                    tally.add(state, metered, event)
    metering.write(session, tally, now)
    return len(stored)
