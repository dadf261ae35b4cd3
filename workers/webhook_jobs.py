"""Actors for Stripe events and the reconciliation sweep."""

from __future__ import annotations

from typing import Any

import dramatiq

from app.billing import sweep
from app.config import get_settings
from app.models.webhooks import EventState
from webhooks.handlers import NotYetKnown
from webhooks.processing import process


class EventFailed(Exception):
    """Raised after the failure is recorded, so Dramatiq retries with backoff."""


def process_event(event_id: str) -> str:
    try:
        state = process(event_id)
    except NotYetKnown:
        # The local row this event needs is not committed yet: come back shortly.
        raise dramatiq.Retry(delay=1000) from None
    if state == EventState.FAILED:
        raise EventFailed(event_id)
    return state


def reconcile_billing() -> int:
    report = sweep.sweep(get_settings().reconcile_stale_after_seconds)
    return len(report.differences)


ACTORS: list[tuple[Any, dict[str, Any]]] = [
    (
        process_event,
        {
            "actor_name": "webhooks.process_event",
            "max_retries": 10,
            "min_backoff": 1000,
            "max_backoff": 10 * 60 * 1000,
            "throws": (dramatiq.Retry,),
        },
    ),
    (
        reconcile_billing,
        {"actor_name": "billing.reconcile", "max_retries": 0, "time_limit": 30 * 60 * 1000},
    ),
]
