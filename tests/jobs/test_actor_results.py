"""Actors keep no results unless asked to: Dramatiq's results middleware warns for each
message whose actor returns a value it was not told to store."""

from __future__ import annotations

import logging
import threading
from typing import Any

import dramatiq
import pytest
from dramatiq.broker import MessageProxy
from dramatiq.middleware import Middleware
from sqlalchemy import Engine

from app.config import Settings
from workers import actors, billing
from workers.actors import ACTORS
from workers.broker import build_broker
from workers.runner import start_worker, stop_worker
from workers.scheduler import TRANSITIONS_ACTOR


class Processed(Middleware):
    """Counts the messages of one actor that the worker has finished."""

    def __init__(self, actor: str, wanted: int) -> None:
        self.actor = actor
        self.wanted = wanted
        self.count = 0
        self.done = threading.Event()

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        if message.actor_name == self.actor:
            self.count += 1
            if self.count >= self.wanted:
                self.done.set()


def test_scheduler_ticks_log_no_warnings(
    engine: Engine, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    broker = build_broker(settings)
    processed = Processed(TRANSITIONS_ACTOR, wanted=3)
    broker.add_middleware(processed)
    caplog.set_level(logging.WARNING)
    worker = start_worker(broker, threads=1, tick_seconds=0.05)
    try:
        assert processed.done.wait(10)
    finally:
        stop_worker(worker)
        broker.close()
    assert [r.getMessage() for r in caplog.records if r.name.startswith("dramatiq")] == []


def test_the_transitions_and_catalog_actors_return_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(actors.transitions, "run_due", lambda: 3)
    monkeypatch.setattr(billing.catalog, "sync_catalog", lambda _environment_id: 2)
    by_name = {options["actor_name"]: fn for fn, options in ACTORS}
    assert by_name[TRANSITIONS_ACTOR]() is None
    assert by_name["billing.sync_catalog"]("env-1") is None
