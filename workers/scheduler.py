"""The clock that drives time-based subscription transitions.

Every worker process runs one ticker thread that enqueues
``subscriptions.run_due_transitions`` at a fixed interval. Several workers may tick at
once: the job takes each due subscription under a row lock and re-checks it, so every
transition is applied once however many tickers there are.
"""

from __future__ import annotations

import threading

import dramatiq
import structlog

from app.jobs import DEFAULT_QUEUE

log = structlog.get_logger(__name__)

ACTOR = "subscriptions.run_due_transitions"


class Ticker:
    def __init__(
        self, broker: dramatiq.Broker, interval_seconds: float, actor: str = ACTOR
    ) -> None:
        self.broker = broker
        self.interval = interval_seconds
        self.actor = actor
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="subscription-ticker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def tick(self) -> None:
        self.broker.enqueue(
            dramatiq.Message(
                queue_name=DEFAULT_QUEUE,
                actor_name=ACTOR,
                args=(),
                kwargs={},
                options={},
            )
        )

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception:
                log.exception("scheduler.tick_failed")
