"""The event store: each Stripe event once, with its processing state."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.billing.webhooks import ReceivedEvent
from app.jobs import enqueue
from app.models.base import utcnow
from app.models.webhooks import EventState, WebhookEvent
from webhooks.handlers import HANDLED_TYPES

PROCESS_ACTOR = "webhooks.process_event"


def record(session: Session, event: ReceivedEvent) -> tuple[WebhookEvent, bool]:
    """Store ``event`` unless it is known; returns (row, whether it was new)."""
    existing = session.exec(
        select(WebhookEvent).where(WebhookEvent.stripe_event_id == event.id)
    ).first()
    if existing is not None:
        return existing, False
    handled = event.type in HANDLED_TYPES
    row = WebhookEvent(
        stripe_event_id=event.id,
        type=event.type,
        object_id=event.object_id,
        object_type=event.object_type,
        account_environment_id=event.account_environment_id,
        created=event.created,
        state=EventState.PENDING if handled else EventState.IGNORED,
        processed_at=None if handled else utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # The same event arrived twice at once; the other request stored it.
        duplicate = session.exec(
            select(WebhookEvent).where(WebhookEvent.stripe_event_id == event.id)
        ).one()
        return duplicate, False
    if handled:
        enqueue(session, PROCESS_ACTOR, event_id=row.id)
    return row, True


def failed(session: Session) -> list[WebhookEvent]:
    query = select(WebhookEvent).where(WebhookEvent.state == EventState.FAILED)
    return list(session.exec(query.order_by(col(WebhookEvent.received_at))))


def recent(session: Session, limit: int = 50) -> list[WebhookEvent]:
    query = select(WebhookEvent).order_by(col(WebhookEvent.received_at).desc()).limit(limit)
    return list(session.exec(query))


def by_stripe_id(session: Session, stripe_event_id: str) -> WebhookEvent | None:
    query = select(WebhookEvent).where(WebhookEvent.stripe_event_id == stripe_event_id)
    return session.exec(query).first()
