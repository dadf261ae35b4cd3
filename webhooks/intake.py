"""Deliveries stored together: one transaction for the events that arrived while the last
one was being written.

Stripe resends a delivery until it is answered with a 2xx, so each is answered only after
its event is committed. Stored one transaction per delivery, intake spent its time on
round trips and commits, and deliveries queued behind one another on the pool. Here a
delivery that finds fewer than ``MAX_WRITERS`` writers running starts one; a writer
stores everything waiting (at most ``MAX_BATCH``) in one transaction and goes on while
deliveries wait. A lone delivery is written at once, and a burst costs a commit per
batch rather than per event, with a few batches in flight so that one's commit overlaps
the next one's statements. If a batch cannot be written, each of its events is tried
alone, so one event's failure answers no other delivery with an error.
"""

from __future__ import annotations

import asyncio
import weakref

import structlog
from starlette.concurrency import run_in_threadpool

from app.billing.webhooks import ReceivedEvent
from app.db import in_transaction
from webhooks import store

log = structlog.get_logger(__name__)

MAX_BATCH = 200
# Two batches in flight: one's commit overlaps the next one's statements. Measured with
# bench/webhooks.py (PostgreSQL on loopback, 16 connections), as ratios to the bare stack
# in the same minutes: 4 writers 0.93-1.14 (p99 18-19 ms), 2 writers 0.94-1.26, most
# runs 1.11-1.26 (p99 11-24 ms), 1 writer 1.26-1.29 (p99 15-17 ms). Fewer writers make
# larger batches; one alone would leave a far database's round trips unoverlapped.
MAX_WRITERS = 2


def _store_batch(events: list[ReceivedEvent]) -> list[bool]:
    return in_transaction(lambda session: store.record_batch(session, events))


def _store_one(event: ReceivedEvent) -> bool:
    return in_transaction(lambda session: store.record(session, event)[1])


class Intake:
    """The deliveries of one event loop waiting to be stored."""

    def __init__(self) -> None:
        self._waiting: list[tuple[ReceivedEvent, asyncio.Future[bool]]] = []
        # Counted down by a writer in the same step as it finds nothing waiting, so a
        # delivery that arrives after that step always starts a writer of its own.
        self._active = 0
        self._writers: set[asyncio.Task[None]] = set()

    async def store(self, event: ReceivedEvent) -> bool:
        """Store ``event`` unless it is known; whether it was new."""
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((event, answer))
        if self._active < MAX_WRITERS:
            self._active += 1
            writer = asyncio.create_task(self._write())
            self._writers.add(writer)
            writer.add_done_callback(self._writers.discard)
        return await answer

    async def _write(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[:MAX_BATCH]
                del self._waiting[:MAX_BATCH]
                await self._write_batch(batch)
        finally:
            self._active -= 1

    async def _write_batch(self, batch: list[tuple[ReceivedEvent, asyncio.Future[bool]]]) -> None:
        try:
            results = await run_in_threadpool(_store_batch, [event for event, _ in batch])
        except Exception as exc:  # noqa: BLE001 - each event is tried alone below
            if len(batch) == 1:
                _answer(batch[0][1], exc)
                return
            log.warning("webhook.batch_failed", events=len(batch), error=type(exc).__name__)
            for event, answer in batch:
                try:
                    _answer(answer, await run_in_threadpool(_store_one, event))
                except Exception as alone:  # noqa: BLE001 - answered to its own delivery
                    _answer(answer, alone)
            return
        for (_, answer), new in zip(batch, results, strict=True):
            _answer(answer, new)


def _answer(answer: asyncio.Future[bool], result: bool | BaseException) -> None:
    if answer.done():  # the delivery's connection went away
        return
    if isinstance(result, BaseException):
        answer.set_exception(result)
    else:
        answer.set_result(result)


_intakes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Intake] = weakref.WeakKeyDictionary()


def intake() -> Intake:
    """The running event loop's intake."""
    loop = asyncio.get_running_loop()
    found = _intakes.get(loop)
    if found is None:
        found = _intakes[loop] = Intake()
    return found
