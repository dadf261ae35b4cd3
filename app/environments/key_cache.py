"""API keys recently seen valid, so a request is not a database round trip to authenticate.

A key is trusted from this cache for ``KEY_CACHE_SECONDS`` at most: a revoked key is
refused by every process within that time. Past half that age a request still finds it
here and asks for it to be checked again in the background, so under steady traffic a
key never expires on the request path (when it did, every request in flight at that
moment queued on the database read: a stall of tens of milliseconds each second). Only
the key's digest is kept.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable

from app.models import Environment

KEY_CACHE_SECONDS = 1.0
MAX_KEYS = 10_000

monotonic: Callable[[], float] = time.monotonic
_seen: dict[str, tuple[float, Environment]] = {}
_lock = threading.Lock()


def digest(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def lookup(raw_key: str) -> tuple[Environment | None, bool]:
    """The key's environment if it was seen valid within ``KEY_CACHE_SECONDS``, and
    whether it is past half that age (due to be checked again)."""
    entry = _seen.get(digest(raw_key))
    if entry is None:
        return None, False
    age = monotonic() - entry[0]
    if age > KEY_CACHE_SECONDS:
        return None, False
    return entry[1], age > KEY_CACHE_SECONDS / 2


def forget(raw_key: str) -> None:
    with _lock:
        _seen.pop(digest(raw_key), None)


def remember(raw_key: str, environment: Environment) -> None:
    with _lock:
        if len(_seen) >= MAX_KEYS:
            _seen.clear()
        _seen[digest(raw_key)] = (monotonic(), environment)


def forget_all() -> None:
    with _lock:
        _seen.clear()
