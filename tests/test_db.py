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
