"""Running the handler of one stored event and recording how it went.

The event's row is read and its attempt counted in one short transaction, the handler
runs with none open (it reads Stripe, then applies what it read in short transactions
of its own), and the outcome is recorded in another. Two deliveries of one event may
run the handler twice; handlers re-read Stripe and converge, so that is harmless. An
event already answered (a read of its subscription made for another event answers it,
``app.billing.reconcile``) is not handled again unless asked (``webhooks replay``).
"""

from __future__ import annotations

import structlog
from sqlmodel import Session

from app.db import in_transaction
from app.models.base import utcnow
from app.models.webhooks import EventState, WebhookEvent
from webhooks.handlers import HANDLERS, NotOurs, NotYetKnown

log = structlog.get_logger(__name__)


DONE = frozenset({EventState.PROCESSED.value, EventState.IGNORED.value})


def _start(event_id: str, *, again: bool) -> WebhookEvent | None:
    def work(session: Session) -> WebhookEvent | None:
        event = session.get(WebhookEvent, event_id, with_for_update=True)
        if event is None:
            return None
        if event.state in DONE and not again:
            session.expunge(event)
            return event
        event.attempts += 1
        session.add(event)
        session.flush()
        session.expunge(event)
        return event

    return in_transaction(work)


def _finish(event_id: str, state: EventState, error: str | None, *, done: bool) -> str:
    """Record how the attempt went; the event's state as stored."""

    def work(session: Session) -> str:
        event = session.get(WebhookEvent, event_id, with_for_update=True)
        if event is None:
            return state.value
        if event.state in DONE and not done:
            # A read made meanwhile for another event answered it: this attempt's
            # failure does not undo that.
            return event.state
        event.last_error = error
        if done and event.state not in DONE:
            event.processed_at = utcnow()
        if done or state == EventState.FAILED:
            event.state = state
        session.add(event)
        return event.state

    return in_transaction(work)


def process(event_id: str, *, again: bool = False) -> str:
    """Handle the event unless it is done already (or ``again``); returns its new state.
    ``NotYetKnown`` propagates (retry later)."""
    event = _start(event_id, again=again)
    if event is None:
        return EventState.IGNORED.value
    if event.state in DONE and not again:
        return event.state
    handler = HANDLERS.get(event.type)
    try:
        if handler is None:
            state = EventState.IGNORED
        else:
            handler(event)
            state = EventState.PROCESSED
    except NotOurs:
        state = EventState.IGNORED
    except NotYetKnown as exc:
        _finish(event_id, EventState.PENDING, str(exc), done=False)
        raise
    except Exception as exc:  # noqa: BLE001 - recorded, then retried by the actor
        error = f"{type(exc).__name__}: {exc}"[:1000]
        stored = _finish(event_id, EventState.FAILED, error, done=False)
        if stored != EventState.FAILED:
            return stored  # answered meanwhile by another read
        # The message stays in the event's row; the log gets the class only.
        log.warning(
            "webhook.failed",
            event_id=event.stripe_event_id,
            type=event.type,
            error_class=type(exc).__name__,
        )
        return EventState.FAILED.value
    _finish(event_id, state, None, done=True)
    log.info("webhook.processed", event_id=event.stripe_event_id, type=event.type, state=state)
    return state.value
