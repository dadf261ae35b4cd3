"""Two reportEvent calls with overlapping keys at the same moment, on PostgreSQL.

Each transaction inserts its keys while the other's are uncommitted: PostgreSQL makes
the second wait for the first, then skips the keys it committed, so every event is
stored and counted once, and (keys go in in one order) neither call deadlocks.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, text
from sqlmodel import Session, SQLModel, select

from app import clock, db
from app.entitlements import cache, events, service
from app.entitlements.event_store import RawEvent
from app.models import Environment, UsageEvent
from tests.entitlements.event_factories import (
    apply_metered_catalog,
    meter,
    set_meter,
    subscribed_customer,
)

pytestmark = pytest.mark.postgres

ROUNDS = 5


@pytest.fixture
def pg(postgresql_engine: Engine) -> Iterator[Engine]:
    """PostgreSQL as the process's engine; the test leaves nothing behind."""
    db.set_engine(postgresql_engine)
    try:
        yield postgresql_engine
    finally:
        db.set_engine(None)
        cache.apply([cache.ALL])
        names = ", ".join(f'"{t.name}"' for t in reversed(SQLModel.metadata.sorted_tables))
        with postgresql_engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def pg_environment(pg: Engine) -> Environment:
    with Session(pg, expire_on_commit=False) as s:
        environment = Environment(name="development")
        s.add(environment)
        s.commit()
        apply_metered_catalog(s, environment)
        subscribed_customer(s, environment)
        set_meter(s, environment, "calls", meter("api_call", "SUM", "n"))
        return environment


def _batch(keys: range) -> list[RawEvent]:
    now = clock.now()
    return [RawEvent("c-1", "api_call", f"k{key}", now, dimensions={"n": 1}) for key in keys]


def _send(
    engine: Engine, environment: Environment, batch: list[RawEvent], barrier: threading.Barrier
) -> int:
    barrier.wait()
    # No retry: a deadlock would fail the test rather than be retried away.
    with db.unit_of_work(engine) as s:
        return events.report_events(s, environment.id, batch, datetime.now(UTC))


def test_overlapping_concurrent_calls_store_and_count_each_event_once(
    pg: Engine, pg_environment: Environment
) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        for round_ in range(ROUNDS):
            start = round_ * 1000
            barrier = threading.Barrier(2, timeout=10)
            halves = (range(start, start + 700), range(start + 300, start + 1000))
            futures = [pool.submit(_send, pg, pg_environment, _batch(h), barrier) for h in halves]
            new = sum(future.result(timeout=60) for future in futures)
            assert new == 1000, f"round {round_}: {new} events taken as new"

    with Session(pg) as s:
        rows = s.exec(select(func.count()).select_from(UsageEvent)).one()
        decision = service.check(s, pg_environment, service.CheckQuery("c-1", "calls"))
    assert rows == ROUNDS * 1000
    assert decision.current_usage == Decimal(ROUNDS * 1000)
