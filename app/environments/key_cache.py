"""API keys recently seen valid, so a request is not a database round trip to authenticate.

A key is trusted from this cache for ``KEY_CACHE_SECONDS`` at most: a revoked key is
refused by every process within that time. Only the key's digest is kept.
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


def recall(raw_key: str) -> Environment | None:
    entry = _seen.get(digest(raw_key))
    if entry is None or monotonic() - entry[0] > KEY_CACHE_SECONDS:
        return None
    return entry[1]


def remember(raw_key: str, environment: Environment) -> None:
    with _lock:
        if len(_seen) >= MAX_KEYS:
            _seen.clear()
        _seen[digest(raw_key)] = (monotonic(), environment)


def forget_all() -> None:
    with _lock:
        _seen.clear()
