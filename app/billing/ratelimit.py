"""A client-side limit on Stripe requests per second, shared by every worker.

With Redis, all processes count in the same one-second windows (INCR on a key per
second), so bulk work spread over many workers stays under Stripe's limit and never
trips a 429. Without Redis (one process) a sliding one-second window in memory does the
same.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Protocol

import redis


class RateLimiter(Protocol):
    def acquire(self) -> None: ...


class LocalRateLimiter:
    """At most ``per_second`` requests in any one-second window, and no wait before then:
    an idle limiter lets a burst up to the limit through at once (a backend's user waits
    on the calls of a checkout), and the request past the limit waits until the oldest of
    the last ``per_second`` is a second old."""

    def __init__(self, per_second: int) -> None:
        self.limit = per_second
        self.sent: deque[float] = deque()
        self.lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self.lock:
                now = time.monotonic()
                while self.sent and now - self.sent[0] >= 1.0:
                    self.sent.popleft()
                if len(self.sent) < self.limit:
                    self.sent.append(now)
                    return
                wait = self.sent[0] + 1.0 - now
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
