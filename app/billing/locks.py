"""One Stripe writer per customer at a time, without holding a transaction.

Everything billing-sync does in Stripe for one customer (creating or updating the Stripe
customer, its subscriptions, a checkout) runs under this lock, so two jobs never race
to create the same object and a replaced subscription's job never runs beside its
successor's. The lock is never a row lock: Stripe calls take hundreds of milliseconds
and a transaction kept open across them would block (and deadlock with) the API's own
writes. On PostgreSQL it is a session-level advisory lock on a connection in autocommit
mode; with Redis and another database, a Redis lock with a timeout; in the embedded
mode (one process) a lock in memory. The lock is reentrant within a thread, so a
reconciler may call another that takes the same lock.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from sqlalchemy import text

from app.billing.errors import BillingError
from app.config import get_settings
from app.db import get_engine

WAIT_SECONDS = 60
# A Redis lock expires on its own if its holder dies; no reconciliation takes this long.
REDIS_LOCK_SECONDS = 300


class CustomerBusy(BillingError):
    """Another worker held the customer's lock for too long: try again later."""

    code = "BILLING_BUSY"
    http_status = 503
    retryable = True


_held = threading.local()
_memory_locks: dict[str, threading.Lock] = {}
_memory_guard = threading.Lock()


def _key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def customer_lock(customer_id: str) -> Iterator[None]:
    name = f"billing-sync:customer:{customer_id}"
    counts: dict[str, int] = _held.__dict__.setdefault("counts", {})
    if counts.get(name):
        counts[name] += 1
        try:
            yield
        finally:
            counts[name] -= 1
        return
    with _acquire(name):
        counts[name] = 1
        try:
            yield
        finally:
            counts.pop(name, None)


@contextmanager
def _acquire(name: str) -> Iterator[None]:
    engine = get_engine()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f"SET lock_timeout = '{WAIT_SECONDS}s'"))
            try:
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _key(name)})
            except Exception as exc:
                raise CustomerBusy(f"{name} is held by another worker") from exc
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _key(name)})
        return
    url = get_settings().redis_url
    if url:
        lock = redis.Redis.from_url(url).lock(
            name, timeout=REDIS_LOCK_SECONDS, blocking_timeout=WAIT_SECONDS
        )
        if not lock.acquire():
            raise CustomerBusy(f"{name} is held by another worker")
        try:
            yield
        finally:
            lock.release()
        return
    with _memory_guard:
        lock_in_memory = _memory_locks.setdefault(name, threading.Lock())
    if not lock_in_memory.acquire(timeout=WAIT_SECONDS):
        raise CustomerBusy(f"{name} is held by another worker")
    try:
        yield
    finally:
        lock_in_memory.release()
