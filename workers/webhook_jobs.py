"""Actors for Stripe events and the reconciliation sweep."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import dramatiq

from app.billing import sweep
from app.config import get_settings
from app.models.webhooks import EventState
from webhooks.handlers import NotYetKnown
from webhooks.processing import process
from webhooks.store import PROCESS_ACTOR, PROCESS_BATCH_ACTOR


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


def process_events(event_ids: list[str]) -> None:
    """One ``process_event`` job per event of a batch the intake stored together.

    The intake hands each batch over as one message, so a burst of deliveries costs the
    API one broker round trip and one outbox row per batch; the jobs are made here. If
    the broker fails part-way, the message is retried whole: an event queued twice is
    handled once (``process`` skips an event that is done).
    """
    actor = dramatiq.get_broker().get_actor(PROCESS_ACTOR)
    for event_id in event_ids:
        actor.send(event_id=event_id)


def reconcile_billing() -> int:
    report = sweep.sweep(get_settings().reconcile_stale_after_seconds)
    return len(report.differences)


def _without_result(fn: Callable[..., object]) -> Callable[..., None]:
    """The actor of ``fn``: what it returns is logged where it is made, not kept, so the
    results middleware has nothing to warn about on every message."""

    @functools.wraps(fn)
    def actor(*args: Any, **kwargs: Any) -> None:
        fn(*args, **kwargs)

    return actor


ACTORS: list[tuple[Any, dict[str, Any]]] = [
    (
        _without_result(process_event),
        {
            "actor_name": PROCESS_ACTOR,
            "max_retries": 10,
            "min_backoff": 1000,
            "max_backoff": 10 * 60 * 1000,
            "throws": (dramatiq.Retry,),
        },
    ),
    (
        process_events,
        {
            "actor_name": PROCESS_BATCH_ACTOR,
            "max_retries": 10,
            "min_backoff": 1000,
            "max_backoff": 10 * 60 * 1000,
        },
    ),
    (
        _without_result(reconcile_billing),
        {"actor_name": "billing.reconcile", "max_retries": 0, "time_limit": 30 * 60 * 1000},
    ),
]
