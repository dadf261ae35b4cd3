"""Job results in this process (the embedded mode), handed to their waiter at once.

Dramatiq's in-memory backend has a waiter poll with growing sleeps (about 0.1, 0.25,
0.4, then 1 s and more): a checkout job that answered in 150 ms was seen after about
350, on the request that hands a checkout URL to a user who waits for it. Here storing a
result wakes its waiters. Results are also dropped once past their time to live (the
in-memory backend kept every one for the life of the process).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from dramatiq.results import ResultTimeout
from dramatiq.results.backend import DEFAULT_TIMEOUT, Missing, ResultBackend


class InProcessResults(ResultBackend):
    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._results: dict[str, tuple[bytes, float]] = {}
        self._stored = threading.Condition()
        self._next_prune = 0.0

    def _get(self, message_key: str) -> Any:
        data, expiration = self._results.get(message_key, (b"", 0.0))
        if data and time.monotonic() < expiration:
            return self.encoder.decode(data)
        return Missing

    def _store(self, message_key: str, result: Any, ttl: int) -> None:
        now = time.monotonic()
        data = self.encoder.encode(result)
        with self._stored:
            self._results[message_key] = (data, now + ttl / 1000)
            if now >= self._next_prune:
                self._next_prune = now + 60
                for key in [k for k, (_, until) in self._results.items() if until <= now]:
                    del self._results[key]
            self._stored.notify_all()

    def get_result(self, message: Any, *, block: bool = False, timeout: int | None = None) -> Any:
        if not block:
            return super().get_result(message, block=False)
        deadline = time.monotonic() + (DEFAULT_TIMEOUT if timeout is None else timeout) / 1000
        message_key = self.build_message_key(message)
        with self._stored:
            while (result := self._get(message_key)) is Missing:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ResultTimeout(message)  # type: ignore[no-untyped-call]
                self._stored.wait(remaining)
        return self.unwrap_result(result)  # type: ignore[no-untyped-call]
