"""Running workers: inside the API process (embedded) or as ``billing-sync worker``."""

from __future__ import annotations

import signal
import threading

import dramatiq
import structlog

from app.config import get_settings
from workers.scheduler import Ticker

log = structlog.get_logger(__name__)


_tickers: dict[int, list[Ticker]] = {}


def start_worker(broker: dramatiq.Broker, threads: int, tick_seconds: float = 0) -> dramatiq.Worker:
    """Start consuming; with ``tick_seconds`` also the ticker of time-driven transitions."""
    broker.emit_after("process_boot")
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100)
    worker.start()
    tickers = []
    if tick_seconds > 0:
        tickers.append(Ticker(broker, tick_seconds))
    settings = get_settings()
    if settings.billing_integrated and settings.reconcile_interval_seconds > 0:
        tickers.append(Ticker(broker, settings.reconcile_interval_seconds, "billing.reconcile"))
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
