"""One background thread that reloads cached entitlement states and usage past their age
(and checks cached API keys again).

A check that finds its state or usage past ``ENTITLEMENTS_CACHE_SECONDS`` is answered
from it and asks for a reload here; the request never waits for the database. Reloads
run one at a time, each in its own read-only unit of work, and a key already waiting is
not queued twice. A reload that fails is logged and dropped: the entry then ages out and
the next check reads the database itself.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Hashable

import structlog
from sqlmodel import Session

from app.db import in_transaction

log = structlog.get_logger(__name__)

Reload = Callable[[Session], None]

# Reloads waiting at most; past it a request is dropped (its entry will age out).
MAX_WAITING = 10_000

_queue: queue.Queue[tuple[Hashable, Reload]] = queue.Queue(maxsize=MAX_WAITING)
_waiting: set[Hashable] = set()
_lock = threading.Lock()
_thread: threading.Thread | None = None


def due(key: Hashable, reload: Reload) -> None:
    """Have ``reload`` run soon unless a reload of ``key`` is already waiting."""
    global _thread  # noqa: PLW0603 - one thread per process, started on first use
    with _lock:
        if key in _waiting:
            return
        try:
            _queue.put_nowait((key, reload))
        except queue.Full:
            return
        _waiting.add(key)
        if _thread is None:
            _thread = threading.Thread(target=_work, name="entitlements-refresher", daemon=True)
            _thread.start()


def _work() -> None:
    while True:
        key, reload = _queue.get()
        try:
            in_transaction(reload, write=False)
        except Exception as exc:  # noqa: BLE001 - a failed reload must not stop the thread
            log.warning("entitlements.reload_failed", error=type(exc).__name__)
        finally:
            with _lock:
                _waiting.discard(key)
            _queue.task_done()


def wait() -> None:
    """Return when every reload asked for so far has run."""
    _queue.join()
