"""Running workers: inside the API process (embedded) or as ``billing-sync worker``."""

from __future__ import annotations

import signal
import threading

import dramatiq
import structlog

log = structlog.get_logger(__name__)


def start_worker(broker: dramatiq.Broker, threads: int) -> dramatiq.Worker:
    broker.emit_after("process_boot")
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100)
    worker.start()
    log.info("worker.started", threads=threads, queues=sorted(broker.get_declared_queues()))
    return worker


def stop_worker(worker: dramatiq.Worker) -> None:
    worker.stop(timeout=10_000)
    log.info("worker.stopped")


def run_forever(broker: dramatiq.Broker, threads: int) -> None:
    """Consume until SIGINT or SIGTERM, then finish the messages in hand and stop."""
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    worker = start_worker(broker, threads)
    try:
        done.wait()
    finally:
        stop_worker(worker)
