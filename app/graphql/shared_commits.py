"""Planned writes that arrive together share one transaction, each in a savepoint.

A planned write (``app.graphql.compiled``: a plain provisionCustomer) is a few
statements, and its commit cost as much again: on SQLite the sync to disk, on
PostgreSQL the round trips of a transaction. So the writes of one event loop that
arrive while a transaction is being written wait for the next one and go in together:
each runs in a savepoint of its own, in its own request's context (its log lines keep
its request id), and is answered once the transaction has committed.

A write that fails rolls back its savepoint alone and is answered None, so the full
path makes it afresh; the others stand. A transaction that cannot commit answers every
write in it None: planned writes are only those whose making twice leaves what making
them once does, so the full path may make them again (``app.graphql.compiled``). A
write whose request went away before its transaction began is dropped.
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
from sqlmodel import Session

from app.graphql.context import in_thread
from app.models import Environment

log = structlog.get_logger(__name__)

Work = Callable[[Session, Environment], Any]

MAX_BATCH = 64
# One transaction at a time per event loop, the next gathering what arrives meanwhile.
# bench/provisioning.py, 16 connections: on SQLite (one writer at a time anyway) 944
# provisions/s with one, 858 with two, 748 with four; on PostgreSQL 541, 522 and 496.
MAX_WRITERS = 1


@dataclass
class _Waiting:
    environment: Environment
    work: Work
    context: contextvars.Context
    answer: asyncio.Future[Any]


def _in_savepoints(batch: list[_Waiting], session: Session, environment: Environment) -> list[Any]:
    results: list[Any] = []
    for waiting in batch:
        try:
            with session.begin_nested():
                results.append(waiting.context.run(waiting.work, session, environment))
        except Exception:  # noqa: BLE001 - rolled back alone; the full path makes it again
            results.append(None)
    return results


class SharedCommits:
    """The planned writes of one event loop waiting for a transaction."""

    def __init__(self) -> None:
        self._waiting: list[_Waiting] = []
        self._writers: set[asyncio.Task[None]] = set()

    async def write(self, environment: Environment, work: Work) -> Any:
        """What ``work`` returned once its transaction committed, or None when it failed
        (nothing of it is stored) and the full path must make it."""
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(environment, work, contextvars.copy_context(), answer))
        if len(self._writers) < MAX_WRITERS:
            writer = asyncio.create_task(self._write())
            self._writers.add(writer)
            writer.add_done_callback(self._writers.discard)
        return await answer

    def _next_batch(self) -> list[_Waiting]:
        """Up to ``MAX_BATCH`` writes of the first waiting one's environment; writes whose
        request went away are dropped."""
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

    async def _write(self) -> None:
        while batch := self._next_batch():
            try:
                results = await in_thread(
                    partial(_in_savepoints, batch), batch[0].environment, write=True
                )
            except Exception as exc:  # noqa: BLE001 - each write goes to the full path
                log.warning(
                    "planned_writes.not_committed", writes=len(batch), error=type(exc).__name__
                )
                results = [None] * len(batch)
            for waiting, result in zip(batch, results, strict=True):
                if not waiting.answer.done():
                    waiting.answer.set_result(result)


_shared: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, SharedCommits] = (
    weakref.WeakKeyDictionary()
)


def shared_commits() -> SharedCommits:
    """The running event loop's."""
    loop = asyncio.get_running_loop()
    found = _shared.get(loop)
    if found is None:
        found = _shared[loop] = SharedCommits()
    return found
