"""An import keeps PostgreSQL's statistics of the tables it fills current, so the
planner looks each chunk's ids up by index rather than reading the whole environment."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from app.imports import service
from app.models import Customer, Environment


def last_analyzed(engine: Engine) -> object:
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'customer'")
        ).scalar_one()


def test_a_table_that_more_than_doubled_is_analyzed_after_a_chunk(
    engine: Engine, environment: Environment
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("statistics for the planner are PostgreSQL's")
    postgresql_engine = engine
    with Session(postgresql_engine) as session:
        session.execute(text("ANALYZE customer"))
        session.commit()
    before = last_analyzed(postgresql_engine)
    with Session(postgresql_engine) as session:
        session.add_all(
            Customer(environment_id=environment.id, customer_id=f"c-{n}") for n in range(1500)
        )
        session.flush()
        # This backend's counters reach pg_stat_user_tables at its commit.
        session.execute(text("SELECT pg_stat_force_next_flush()"))
        session.commit()
    service._analyze_grown_tables()
    assert last_analyzed(postgresql_engine) != before
    # Analyzed now: the next chunk does not analyze again.
    after = last_analyzed(postgresql_engine)
    service._analyze_grown_tables()
    assert last_analyzed(postgresql_engine) == after
