"""The event store: each Stripe event once, with its processing state.

A signed event that cannot be read (``MalformedEvent``) but names a usable id is kept
as failed, with the problem as its error, so it shows in ``webhooks list --failed``;
an id already stored is left as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.billing.webhooks import MalformedEvent, ReceivedEvent
from app.jobs import enqueue
from app.models.base import new_id, utcnow
from app.models.webhooks import EventState, WebhookEvent
from webhooks.handlers import HANDLED_TYPES

PROCESS_ACTOR = "webhooks.process_event"
# One message for a batch's new events; the worker makes a job of each.
PROCESS_BATCH_ACTOR = "webhooks.process_events"


def _values(event: ReceivedEvent, now: datetime) -> dict[str, Any]:
    """An event's stored fields, as an insert takes them."""
    handled = event.type in HANDLED_TYPES
    return {
        "id": new_id(),
        "stripe_event_id": event.id,
        "type": event.type,
        "object_id": event.object_id,
        "object_type": event.object_type,
        "account_environment_id": event.account_environment_id,
        "created": event.created,
        "state": EventState.PENDING.value if handled else EventState.IGNORED.value,
        "attempts": 0,
        "last_error": None,
        "received_at": now,
        "processed_at": None if handled else now,
    }


def _row(event: ReceivedEvent) -> WebhookEvent:
    return WebhookEvent(**_values(event, utcnow()))


def record(session: Session, event: ReceivedEvent) -> tuple[WebhookEvent, bool]:
    """Store ``event`` unless it is known; returns (row, whether it was new)."""
    existing = by_stripe_id(session, event.id)
    if existing is not None:
        return existing, False
    handled = event.type in HANDLED_TYPES
    row = _row(event)
    stored = _insert(session, row)
    if stored is not row:
        return stored, False
    if handled:
        enqueue(session, PROCESS_ACTOR, event_id=row.id)
    return row, True


def record_batch(session: Session, events: Sequence[ReceivedEvent]) -> list[bool]:
    """Store each of ``events`` unless it is known, in one statement; for each, whether it
    was new. An event that appears twice is new at most at its first place, and one that
    is stored already, or that another transaction stores at the same moment, is not
    (the insert skips it)."""
    first: dict[str, int] = {}
    for index, event in enumerate(events):
        first.setdefault(event.id, index)
    now = utcnow()
    values = [_values(events[index], now) for index in first.values()]
    stored = _insert_new(session, values)
    to_process = [
        row["id"]
        for row in values
        if row["stripe_event_id"] in stored and row["state"] == EventState.PENDING.value
    ]
    if to_process:
        enqueue(session, PROCESS_BATCH_ACTOR, event_ids=to_process)
    return [first[event.id] == index and event.id in stored for index, event in enumerate(events)]


# PostgreSQL takes a batch as one array per column (named as ``_values`` names them): the
# statement's text is the same whatever the batch's size, so it is parsed once, and a
# batch costs a parameter per column rather than one per field.
_INSERT_ARRAYS = """
INSERT INTO webhook_event (
    id, stripe_event_id, type, object_id, object_type, account_environment_id,
    created, state, attempts, last_error, received_at, processed_at
)
SELECT * FROM unnest(
    %(id)s::varchar[], %(stripe_event_id)s::varchar[], %(type)s::varchar[],
    %(object_id)s::varchar[], %(object_type)s::varchar[],
    %(account_environment_id)s::varchar[], %(created)s::timestamptz[],
    %(state)s::varchar[], %(attempts)s::integer[], %(last_error)s::varchar[],
    %(received_at)s::timestamptz[], %(processed_at)s::timestamptz[]
)
ON CONFLICT (stripe_event_id) DO NOTHING
RETURNING stripe_event_id
"""


def _insert_new(session: Session, values: list[dict[str, Any]]) -> set[str]:
    """Insert ``values``, skipping any whose event id is stored by now; the event ids
    inserted."""
    if not values:
        return set()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        arrays = {name: [row[name] for row in values] for name in values[0]}
        return {row[0] for row in connection.exec_driver_sql(_INSERT_ARRAYS, arrays)}
    table: Any = WebhookEvent.__table__  # type: ignore[attr-defined]
    statement = (
        sqlite.insert(table)
        .on_conflict_do_nothing(index_elements=["stripe_event_id"])
        .returning(table.c.stripe_event_id)
    )
    # Executed with many parameter sets: one compiled statement whatever the batch's size.
    return set(connection.execute(statement, values).scalars())


def record_malformed(session: Session, refused: MalformedEvent) -> WebhookEvent | None:
    """Keep a refused event as failed when its id is usable and not stored yet."""
    if refused.event_id is None or by_stripe_id(session, refused.event_id) is not None:
        return None
    now = utcnow()
    row = WebhookEvent(
        stripe_event_id=refused.event_id,
        # Its own type and time were not readable; the row is dated on arrival.
        type="",
        account_environment_id=refused.account_environment_id,
        created=now,
        state=EventState.FAILED,
        last_error=f"malformed event: {refused.message}"[:1000],
        received_at=now,
    )
    stored = _insert(session, row)
    return row if stored is row else None


def _insert(session: Session, row: WebhookEvent) -> WebhookEvent:
    """Add ``row``, or return the row another request stored with its event id first."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # The same event arrived twice at once; the other request stored it.
        duplicate = session.exec(
            select(WebhookEvent).where(WebhookEvent.stripe_event_id == row.stripe_event_id)
        ).one()
        return duplicate
    return row


def failed(session: Session) -> list[WebhookEvent]:
    query = select(WebhookEvent).where(WebhookEvent.state == EventState.FAILED)
    return list(session.exec(query.order_by(col(WebhookEvent.received_at))))


def recent(session: Session, limit: int = 50) -> list[WebhookEvent]:
    query = select(WebhookEvent).order_by(col(WebhookEvent.received_at).desc()).limit(limit)
    return list(session.exec(query))


def by_stripe_id(session: Session, stripe_event_id: str) -> WebhookEvent | None:
    query = select(WebhookEvent).where(WebhookEvent.stripe_event_id == stripe_event_id)
    return session.exec(query).first()
