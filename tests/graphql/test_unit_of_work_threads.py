"""A unit of work run for a resolver is, when its caller is cancelled, either never
started or waited for to its end: the request's lock is not released while it runs."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from app.config import Settings
from app.graphql import context
from app.models import Environment


def _environment() -> Any:
    return Environment(name="threads")


@pytest.mark.usefixtures("engine")
def test_a_cancelled_caller_waits_for_a_unit_of_work_that_started() -> None:
    started, finished = threading.Event(), threading.Event()

    def slow(session: Session, environment: Environment) -> str:
        started.set()
        time.sleep(0.3)
        finished.set()
        return "done"

    async def main() -> bool:
        task = asyncio.create_task(context.in_thread(slow, _environment(), write=True))
        await asyncio.to_thread(started.wait, 5)
        task.cancel()
        task.cancel()  # a second cancellation does not cut the wait short either
        with pytest.raises(asyncio.CancelledError):
            await task
        return finished.is_set()

    assert asyncio.run(main()) is True


@pytest.mark.usefixtures("engine")
def test_a_cancelled_caller_drops_a_unit_of_work_that_has_not_started(
    settings: Settings,
) -> None:
    settings.api_read_threads = 1
    release, ran = threading.Event(), threading.Event()

    def hold(session: Session, environment: Environment) -> None:
        release.wait(5)

    def never(session: Session, environment: Environment) -> None:
        ran.set()

    async def main() -> None:
        holding = asyncio.create_task(context.in_thread(hold, _environment(), write=False))
        await asyncio.sleep(0.05)
        queued = asyncio.create_task(context.in_thread(never, _environment(), write=False))
        await asyncio.sleep(0.05)
        queued.cancel()
        with pytest.raises(asyncio.CancelledError):
            await queued
        release.set()
        await holding

    asyncio.run(main())
    time.sleep(0.1)
    assert not ran.is_set()


def test_units_of_work_reuse_the_threads_of_their_size(engine: Engine) -> None:
    assert context._executor(write=True) is context._executor(write=True)
    assert context._executor(write=False) is not context._executor(write=True)
