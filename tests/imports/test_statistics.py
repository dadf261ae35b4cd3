"""An import keeps PostgreSQL's statistics of the tables it fills current, so the
planner looks each chunk's ids up by index rather than reading the whole environment."""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlmodel import Session

from app.imports import service
from app.models import Customer, Environment


def last_analyzed(engine: Engine) -> object:
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'customer'")
        ).scalar_one()


def test_a_table_that_more_than_doubled_is_analyzed_after_a_chunk(pg: Engine) -> None:
    with Session(pg) as session:
        environment = Environment(name="statistics")
        session.add(environment)
        session.commit()
        environment_id = environment.id
        session.execute(text("ANALYZE customer"))
        session.commit()
    before = last_analyzed(pg)
    with Session(pg) as session:
        session.add_all(
            Customer(environment_id=environment_id, customer_id=f"c-{n}") for n in range(1500)
        )
        session.flush()
        # This backend's counters reach pg_stat_user_tables at its commit.
        session.execute(text("SELECT pg_stat_force_next_flush()"))
        session.commit()
    service._analyze_grown_tables()
    assert last_analyzed(pg) != before
    # Analyzed now: the next chunk does not analyze again.
    after = last_analyzed(pg)
    service._analyze_grown_tables()
    assert last_analyzed(pg) == after
