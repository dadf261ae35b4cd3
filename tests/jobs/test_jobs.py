"""Jobs: sent after commit, dropped on rollback, answers awaited with a bound."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from app import jobs
from app.config import Settings
from app.models import Environment
from tests.conftest import TEST_REDIS_URL, require_service
from workers.broker import build_broker
from workers.runner import start_worker, stop_worker

received: list[Any] = []


def record(value: int) -> int:
    received.append(value)
    return value * 2


def slow(seconds: float) -> str:
    time.sleep(seconds)
    return "late"


def _declare_test_actors(broker: dramatiq.Broker) -> None:
    dramatiq.actor(
        record, broker=broker, actor_name="test.record", store_results=True, max_retries=0
    )
    dramatiq.actor(slow, broker=broker, actor_name="test.slow", store_results=True, max_retries=0)


@pytest.fixture
def stub_broker(settings: Settings) -> Iterator[dramatiq.Broker]:
    received.clear()
    broker = build_broker(settings)
    _declare_test_actors(broker)
    yield broker
    broker.close()


@pytest.fixture
def redis_broker(settings: Settings) -> Iterator[dramatiq.Broker]:
    import redis

    try:
        redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    except redis.RedisError as exc:
        require_service("Redis", exc)
    received.clear()
    broker = build_broker(settings.model_copy(update={"redis_url": TEST_REDIS_URL}))
    _declare_test_actors(broker)
    yield broker
    broker.close()


def queued(broker: dramatiq.Broker) -> int:
    return int(broker.queues["default"].qsize())


def test_job_is_not_sent_before_commit(engine: Engine, stub_broker: dramatiq.Broker) -> None:
    with Session(engine) as session:
        session.add(Environment(name="jobs"))
        jobs.enqueue(session, "test.record", value=1)
        session.flush()
        assert queued(stub_broker) == 0
        session.commit()
    assert queued(stub_broker) == 1


def test_rolled_back_transaction_sends_nothing(
    engine: Engine, stub_broker: dramatiq.Broker
) -> None:
    with Session(engine) as session:
        session.add(Environment(name="jobs"))
        jobs.enqueue(session, "test.record", value=1)
        session.flush()
        session.rollback()
        session.commit()
    assert queued(stub_broker) == 0


def test_unit_of_work_failure_sends_nothing(engine: Engine, stub_broker: dramatiq.Broker) -> None:
    from app.db import unit_of_work

    def fail_inside_unit_of_work() -> None:
        with unit_of_work(engine) as session:
            jobs.enqueue(session, "test.record", value=1)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail_inside_unit_of_work()
    assert queued(stub_broker) == 0


def test_caller_can_wait_for_the_jobs_answer(engine: Engine, stub_broker: dramatiq.Broker) -> None:
    worker = start_worker(stub_broker, threads=2)
    try:
        with Session(engine) as session:
            message = jobs.enqueue(session, "test.record", value=21)
            session.commit()
        assert jobs.wait_for_result(message, timeout_seconds=5) == 42
        assert received == [21]
    finally:
        stop_worker(worker)


def test_waiting_longer_than_the_bound_raises_job_timeout(
    engine: Engine, stub_broker: dramatiq.Broker
) -> None:
    worker = start_worker(stub_broker, threads=1)
    try:
        with Session(engine) as session:
            message = jobs.enqueue(session, "test.slow", seconds=1.0)
            session.commit()
        with pytest.raises(jobs.JobTimedOut) as raised:
            jobs.wait_for_result(message, timeout_seconds=0.2)
        assert raised.value.code == "JOB_TIMEOUT"
    finally:
        stop_worker(worker)


def test_ping_actor_answers_through_the_worker(
    engine: Engine, stub_broker: dramatiq.Broker
) -> None:
    worker = start_worker(stub_broker, threads=1)
    try:
        with Session(engine) as session:
            message = jobs.enqueue(session, "system.ping")
            session.commit()
        answer = jobs.wait_for_result(message, timeout_seconds=5)
        assert answer["pong"] is True
    finally:
        stop_worker(worker)


@pytest.mark.redis
def test_redis_broker_delivers_after_commit_and_returns_results(
    engine: Engine, redis_broker: dramatiq.Broker
) -> None:
    from dramatiq.brokers.redis import RedisBroker

    assert isinstance(redis_broker, RedisBroker)
    with Session(engine) as session:
        rolled_back = jobs.enqueue(session, "test.record", value=1)
        session.rollback()
        message = jobs.enqueue(session, "test.record", value=5)
        session.commit()
    worker = start_worker(redis_broker, threads=2)
    try:
        assert jobs.wait_for_result(message, timeout_seconds=10) == 10
        with pytest.raises(jobs.JobTimedOut):
            jobs.wait_for_result(rolled_back, timeout_seconds=0.5)
        assert received == [5]
    finally:
        stop_worker(worker)


def test_rollback_before_any_sql_still_drops_the_job(
    engine: Engine, stub_broker: dramatiq.Broker
) -> None:
    with Session(engine) as session:
        jobs.enqueue(session, "test.record", value=1)
        session.rollback()
        session.add(Environment(name="later"))
        session.commit()
    assert queued(stub_broker) == 0


def test_a_released_savepoint_sends_nothing_before_the_commit(
    engine: Engine, stub_broker: dramatiq.Broker
) -> None:
    with Session(engine) as session:
        session.add(Environment(name="jobs"))
        jobs.enqueue(session, "test.record", value=1)
        with session.begin_nested():
            jobs.enqueue(session, "test.record", value=2)
        assert queued(stub_broker) == 0
        session.commit()
    assert queued(stub_broker) == 2


def test_jobs_of_a_rolled_back_savepoint_are_dropped_and_the_others_kept(
    engine: Engine, stub_broker: dramatiq.Broker
) -> None:
    with Session(engine) as session:
        session.add(Environment(name="jobs"))
        jobs.enqueue(session, "test.record", value=1)
        savepoint = session.begin_nested()
        jobs.enqueue(session, "test.record", value=2)
        with session.begin_nested():
            jobs.enqueue(session, "test.record", value=3)
        savepoint.rollback()
        with session.begin_nested():
            jobs.enqueue(session, "test.record", value=4)
        session.commit()
    queue = stub_broker.queues["default"].queue
    sent = [dramatiq.Message.decode(data).kwargs["value"] for data in queue]
    assert sent == [1, 4]


def _outbox(engine: Engine) -> list[str]:
    from sqlmodel import select

    from app.models.outbox import OutboxMessage

    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage.id)))


def test_the_rows_of_sent_jobs_are_deleted_shortly_after_together(
    engine: Engine, stub_broker: dramatiq.Broker
) -> None:
    from sqlalchemy import event

    from app.db import unit_of_work

    deletes: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE FROM OUTBOX_MESSAGE"):
            deletes.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        for value in range(5):
            with unit_of_work(engine) as session:
                jobs.enqueue(session, "test.record", value=value)
        # Sent at each commit; their rows are not each deleted by a transaction of
        # their own, but all together within moments.
        assert queued(stub_broker) == 5
        deadline = time.monotonic() + 5
        while _outbox(engine) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _outbox(engine) == []
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert 1 <= len(deletes) < 5


def test_forget_sent_now_deletes_at_once_what_was_sent_and_keeps_the_unsent(
    engine: Engine, stub_broker: dramatiq.Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.db import unit_of_work

    # Left to the background, these rows would wait a minute.
    monkeypatch.setattr(jobs, "_sent_rows", jobs._SentRows(delay_seconds=60.0))
    with unit_of_work(engine) as session:
        jobs.enqueue(session, "test.record", value=1)
    with unit_of_work(engine) as session:
        unsent = jobs.enqueue(session, "test.record", value=2)
        monkeypatch.setattr(stub_broker, "enqueue", _unreachable)
    jobs.forget_sent_now()
    assert _outbox(engine) == [unsent.message_id]


def _unreachable(*_args: Any, **_kwargs: Any) -> None:
    raise ConnectionError("the broker is unreachable")
