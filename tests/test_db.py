from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from app.db import in_transaction, is_transient


def locked() -> OperationalError:
    return OperationalError("UPDATE x", {}, sqlite3.OperationalError("database is locked"))


def test_sqlite_lock_is_transient_and_other_errors_are_not() -> None:
    assert is_transient(locked())
    assert not is_transient(OperationalError("x", {}, sqlite3.OperationalError("no such table")))


def test_transient_conflict_is_retried_with_a_fresh_transaction(engine) -> None:  # type: ignore[no-untyped-def]
    calls: list[int] = []

    def work(session) -> str:  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            raise locked()
        return "done"

    assert in_transaction(work) == "done"
    assert len(calls) == 2


def test_persistent_conflict_gives_up(engine) -> None:  # type: ignore[no-untyped-def]
    def work(session) -> str:  # type: ignore[no-untyped-def]
        raise locked()

    with pytest.raises(OperationalError):
        in_transaction(work, attempts=2)


def test_sqlite_writers_of_one_process_wait_for_each_other_not_for_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A second writer waits on the process's own queue while the first holds SQLite's
    write lock: with SQLite's busy timeout taken away it still gets through, right after
    the first commits, and nothing is lost."""
    import threading

    from sqlalchemy import event, text

    from app.db import make_engine, unit_of_work

    engine = make_engine(f"sqlite:///{tmp_path / 'writers.db'}")

    @event.listens_for(engine, "connect")
    def no_busy_timeout(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    with unit_of_work(engine) as session:
        session.execute(text("CREATE TABLE counter (n INTEGER)"))
        session.execute(text("INSERT INTO counter VALUES (0)"))
    errors: list[BaseException] = []

    def add_one() -> None:
        try:
            with unit_of_work(engine) as session:
                session.execute(text("UPDATE counter SET n = n + 1"))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    with unit_of_work(engine) as session:
        session.execute(text("UPDATE counter SET n = n + 1"))
        others = [threading.Thread(target=add_one) for _ in range(4)]
        for thread in others:
            thread.start()
        for thread in others:
            thread.join(timeout=0.2)  # they wait while this writer holds the lock
        assert all(thread.is_alive() for thread in others)
    for thread in others:
        thread.join(timeout=10)
    assert errors == []
    with unit_of_work(engine, write=False) as session:
        assert session.execute(text("SELECT n FROM counter")).scalar_one() == 5
    engine.dispose()


def test_a_sqlite_unit_that_only_reads_sees_one_snapshot(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A write committed between two reads of a read-only unit is not seen by the second
    (the driver alone would run each SELECT on its own, as of its moment)."""
    from sqlalchemy import text

    from app.db import make_engine, unit_of_work

    engine = make_engine(f"sqlite:///{tmp_path / 'snapshot.db'}")
    with unit_of_work(engine) as session:
        session.execute(text("CREATE TABLE counter (n INTEGER)"))
        session.execute(text("INSERT INTO counter VALUES (0)"))

    with unit_of_work(engine, write=False) as reader:
        first = reader.execute(text("SELECT n FROM counter")).scalar_one()
        with unit_of_work(engine) as writer:
            writer.execute(text("UPDATE counter SET n = 1"))
        second = reader.execute(text("SELECT n FROM counter")).scalar_one()
    with unit_of_work(engine, write=False) as after:
        latest = after.execute(text("SELECT n FROM counter")).scalar_one()

    assert (first, second, latest) == (0, 0, 1)
    engine.dispose()
