"""Running workers: inside the API process (embedded) or as ``billing-sync worker``."""

from __future__ import annotations

import signal
import threading

import dramatiq
import structlog
from dramatiq.brokers.redis import RedisBroker

from app import jobs
from app.config import get_settings
from app.db import get_engine
from app.entitlements import cache as entitlements_cache
from workers.scheduler import RECONCILE_ACTOR, Periodic, Ticker

log = structlog.get_logger(__name__)


_tickers: dict[int, list[Periodic]] = {}


def start_worker(broker: dramatiq.Broker, threads: int, tick_seconds: float = 0) -> dramatiq.Worker:
    """Start consuming, the outbox relay, the reconciliation sweep's ticker (with billing
    integrated) and, with ``tick_seconds``, the ticker of time-driven transitions."""
    broker.emit_after("process_boot")
    # How long an idle consumer waits before it looks again (and notices a stop): a
    # Redis look is a round trip, the in-process broker's costs nothing, and a short wait
    # lets an embedded worker stop in tens of milliseconds instead of two hundred.
    timeout = 100 if isinstance(broker, RedisBroker) else 20
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=timeout)
    worker.start()
    settings = get_settings()
    # Changes made here (trials ending, webhooks) reach every API process's cache.
    entitlements_cache.connect(settings.redis_url, settings.entitlements_cache_seconds)
    tickers: list[Periodic] = [
        Periodic(
            "outbox-relay",
            settings.outbox_relay_interval_seconds,
            lambda: jobs.relay(
                get_engine(), older_than_seconds=settings.outbox_relay_after_seconds
            ),
        )
    ]
    if tick_seconds > 0:
        tickers.append(Ticker(broker, tick_seconds))
    # Environments may bring Stripe accounts of their own, so the sweep runs either way
    # (with no account to sync it finds nothing to do).
    if settings.reconcile_interval_seconds > 0:
        tickers.append(Ticker(broker, settings.reconcile_interval_seconds, RECONCILE_ACTOR))
    for ticker in tickers:
        ticker.start()
    _tickers[id(worker)] = tickers
    log.info(
        "worker.started",
        threads=threads,
        queues=sorted(broker.get_declared_queues()),
        tick_seconds=tick_seconds,
    )
    return worker


def stop_worker(worker: dramatiq.Worker) -> None:
    for ticker in _tickers.pop(id(worker), []):
        ticker.stop()
    worker.stop(timeout=10_000)
    jobs.forget_sent_now()
    log.info("worker.stopped")


def run_forever(broker: dramatiq.Broker, threads: int, tick_seconds: float = 0) -> None:
    """Consume until SIGINT or SIGTERM, then finish the messages in hand and stop."""
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    worker = start_worker(broker, threads, tick_seconds)
    try:
        done.wait()
    finally:
        stop_worker(worker)
