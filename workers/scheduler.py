"""Periodic work in every worker process: tickers that enqueue an actor at a fixed
interval (due subscription transitions, the reconciliation sweep), and the outbox relay.

Several workers may tick at once: each job takes what it works on under a lock and
re-checks it, so every transition or repair is applied once however many tickers there
are. The relay runs in the worker itself rather than as a job, since its purpose is to
reach the broker when enqueueing did not.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import dramatiq
import structlog

from app.jobs import DEFAULT_QUEUE

log = structlog.get_logger(__name__)

TRANSITIONS_ACTOR = "subscriptions.run_due_transitions"
RECONCILE_ACTOR = "billing.reconcile"


class Periodic:
    """Call ``fn`` every ``interval_seconds`` on a daemon thread until stopped."""

    def __init__(self, name: str, interval_seconds: float, fn: Callable[[], object]) -> None:
        self.name = name
        self.interval = interval_seconds
        self.fn = fn
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.fn()
            except Exception:
                log.exception("scheduler.tick_failed", task=self.name)


class Ticker(Periodic):
    """Enqueue ``actor`` every ``interval_seconds``."""

    def __init__(
        self, broker: dramatiq.Broker, interval_seconds: float, actor: str = TRANSITIONS_ACTOR
    ) -> None:
        super().__init__(f"ticker:{actor}", interval_seconds, self.tick)
        self.broker = broker
        self.actor = actor

    def tick(self) -> None:
        self.broker.enqueue(
            dramatiq.Message(
                queue_name=DEFAULT_QUEUE,
                actor_name=self.actor,
                args=(),
                kwargs={},
                options={},
            )
        )
