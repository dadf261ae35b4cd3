"""Running the handler of one stored event and recording how it went."""

from __future__ import annotations

import structlog
from sqlmodel import Session

from app.db import in_transaction
from app.models.base import utcnow
from app.models.webhooks import EventState, WebhookEvent
from webhooks.handlers import HANDLERS, NotOurs, NotYetKnown

log = structlog.get_logger(__name__)


def process(event_id: str) -> str:
    """Handle the event; returns its new state. ``NotYetKnown`` propagates (retry later)."""

    def attempt(session: Session) -> str:
        event = session.get(WebhookEvent, event_id, with_for_update=True)
        if event is None:
            return EventState.IGNORED.value
        event.attempts += 1
        handler = HANDLERS.get(event.type)
        try:
            if handler is None:
                event.state = EventState.IGNORED
            else:
                with session.begin_nested():
                    handler(session, event)
                event.state = EventState.PROCESSED
            event.last_error = None
        except NotOurs:
            event.state = EventState.IGNORED
        except NotYetKnown as exc:
            event.last_error = str(exc)
            raise
        except Exception as exc:  # noqa: BLE001 - recorded, then retried by the actor
            event.state = EventState.FAILED
            event.last_error = f"{type(exc).__name__}: {exc}"[:1000]
            session.add(event)
            session.flush()
            log.warning(
                "webhook.failed",
                event_id=event.stripe_event_id,
                type=event.type,
                error=event.last_error,
            )
            return EventState.FAILED.value
        event.processed_at = utcnow()
        session.add(event)
        log.info(
            "webhook.processed", event_id=event.stripe_event_id, type=event.type, state=event.state
        )
        return str(event.state)

    return in_transaction(attempt)
