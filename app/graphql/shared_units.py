"""Planned reads, and planned writes, that arrive together share one unit of work.

A planned request (``app.graphql.compiled``) makes a few statements; around them its unit
of work cost as much again: a hop to a thread and back, a session, a connection taken
from the pool, a transaction begun and ended, and for a write its commit (on SQLite the
sync to disk, on PostgreSQL a transaction's round trips). So the planned reads of an
event loop that arrive while one unit of work is running wait for the next and go in
together, one after another, and so do its planned writes, each in a savepoint of its
own. Each runs in its own request's context (its log lines keep its request id) and
gives its answer already written, so nothing of one request is read after its unit of
work ends. A unit of work begins after every request in it arrived: a change committed
before a request arrived is seen by it.

One that fails is answered None and its request takes the full path: a read that met
a database error rolls the transaction back (the next read begins another), a write
rolls back its savepoint alone, and the others stand. A unit of work that cannot end
answers each of its requests None: planned writes are only those whose making twice
leaves what making them once does, so the full path may make them again
(``app.graphql.compiled``). A request that went away before its unit of work began is
dropped.
"""

from __future__ import annotations

import asyncio
import contextvars
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import structlog
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from app.config import get_settings
from app.db import begin_reads
from app.graphql.context import in_thread
from app.models import Environment

log = structlog.get_logger(__name__)

Work = Callable[[Session, Environment], Any]

MAX_BATCH = 64
# Units of work of each kind running at once per event loop, the next one gathering
# what arrives meanwhile. With the database beside the service one measured best:
# bench/reads.py (16 connections, ratio to the bare stack) on SQLite getSubscription
# 0.75 / 0.55 / 0.49 with one / two / four, on PostgreSQL 0.42 / 0.34 / 0.32;
# bench/provisioning.py on SQLite 944 / 858 / 748 provisions/s, on PostgreSQL 541 /
# 522 / 496. Reads that mostly wait on a database far away want more: a quarter of
# API_READ_THREADS run at once (one with its default of four).
MAX_WRITES_RUNNING = 1
READ_THREADS_PER_UNIT = 4


def _most_running(write: bool) -> int:
    if write:
        return MAX_WRITES_RUNNING
    return max(1, get_settings().api_read_threads // READ_THREADS_PER_UNIT)


@dataclass
class _Waiting:
    environment: Environment
    work: Work
    context: contextvars.Context
    answer: asyncio.Future[Any]


def _reads(batch: list[_Waiting], session: Session, environment: Environment) -> list[Any]:
    results: list[Any] = []
    for waiting in batch:
        try:
            results.append(waiting.context.run(waiting.work, session, environment))
        except DBAPIError:
            # The failed statement may have ended the transaction (PostgreSQL).
            session.rollback()
            begin_reads(session)
            results.append(None)
        except Exception:  # noqa: BLE001 - the full path reads it again and reports it
            results.append(None)
    return results


def _writes(batch: list[_Waiting], session: Session, environment: Environment) -> list[Any]:
    results: list[Any] = []
    for waiting in batch:
        try:
            with session.begin_nested():
                results.append(waiting.context.run(waiting.work, session, environment))
        except Exception:  # noqa: BLE001 - rolled back alone; the full path makes it again
            results.append(None)
    return results


class SharedUnits:
    """The planned reads (or writes) of one event loop waiting for a unit of work."""

    def __init__(self, *, write: bool) -> None:
        self._write = write
        self._waiting: list[_Waiting] = []
        # Counted down by a runner in the same step as it finds nothing waiting, so a
        # request that arrives after that step always starts a runner of its own.
        self._active = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self, environment: Environment, work: Work) -> Any:
        """What ``work`` returned (once its unit of work ended), or None when it failed
        (a write: nothing of it is stored) and the full path must answer."""
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(environment, work, contextvars.copy_context(), answer))
        if self._active < _most_running(self._write):
            self._active += 1
            task = asyncio.create_task(self._run())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await answer

    def _next_batch(self) -> list[_Waiting]:
        """Up to ``MAX_BATCH`` waiting requests of the first one's environment; those that
        went away are dropped."""
        self._waiting = [w for w in self._waiting if not w.answer.done()]
        if not self._waiting:
            return []
        environment_id = self._waiting[0].environment.id
        batch: list[_Waiting] = []
        rest: list[_Waiting] = []
        for waiting in self._waiting:
            if len(batch) < MAX_BATCH and waiting.environment.id == environment_id:
                batch.append(waiting)
            else:
                rest.append(waiting)
        self._waiting = rest
        return batch

    async def _run(self) -> None:
        try:
            await self._run_batches()
        finally:
            self._active -= 1

    async def _run_batches(self) -> None:
        each = _writes if self._write else _reads
        while batch := self._next_batch():
            try:
                results = await in_thread(
                    partial(each, batch), batch[0].environment, write=self._write
                )
            except Exception as exc:  # noqa: BLE001 - each request goes to the full path
                log.warning(
                    "planned.unit_of_work_failed",
                    write=self._write,
                    requests=len(batch),
                    error=type(exc).__name__,
                )
                results = [None] * len(batch)
            for waiting, result in zip(batch, results, strict=True):
                if not waiting.answer.done():
                    waiting.answer.set_result(result)


_units: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[bool, SharedUnits]] = (
    weakref.WeakKeyDictionary()
)


def shared_units(*, write: bool) -> SharedUnits:
    """The running event loop's, for reads or for writes."""
    loop = asyncio.get_running_loop()
    kinds = _units.get(loop)
    if kinds is None:
        kinds = _units[loop] = {}
    found = kinds.get(write)
    if found is None:
        found = kinds[write] = SharedUnits(write=write)
    return found
