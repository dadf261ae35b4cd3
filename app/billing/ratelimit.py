"""A client-side limit on Stripe requests per second, shared by every worker.

With Redis, all processes count in the same one-second windows (INCR on a key per
second), so bulk work spread over many workers stays under Stripe's limit and never
trips a 429. Without Redis (one process) a token bucket in memory does the same.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

import redis


class RateLimiter(Protocol):
    def acquire(self) -> None: ...


class LocalRateLimiter:
    """Requests evenly spaced at ``per_second``: the bucket holds one token, so no burst
    can push a one-second window past the limit."""

    def __init__(self, per_second: int) -> None:
        self.rate = float(per_second)
        self.tokens = 1.0
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self.lock:
                now = time.monotonic()
                self.tokens = min(1.0, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                wait = (1 - self.tokens) / self.rate
            time.sleep(wait)


class RedisRateLimiter:
    def __init__(
        self, client: redis.Redis, per_second: int, key: str = "billing-sync:stripe:requests"
    ) -> None:
        self.client = client
        self.limit = per_second
        self.key = key

    def acquire(self) -> None:
        while True:
            now = time.time()
            window = int(now)
            name = f"{self.key}:{window}"
            pipe = self.client.pipeline()
            pipe.incr(name)
            pipe.expire(name, 2)
            count = int(pipe.execute()[0])
            if count <= self.limit:
                return
            time.sleep(max(0.001, window + 1 - now))
