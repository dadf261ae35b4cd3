"""Engine, sessions and the unit of work.

Only ``unit_of_work`` commits. Services receive a ``Session`` and flush; the adapter
that called them (a GraphQL resolver, an actor, a CLI command) owns the transaction.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, Result, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.sql.expression import Executable
from sqlmodel import Session, create_engine

from app.config import get_settings
from app.jobs import forget_sent

T = TypeVar("T")

# How long a SQLite writer waits for the one before it.
SQLITE_BUSY_SECONDS = 10


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine whose errors never quote the statement's parameters (client input):
    they are shown as hidden in any message or traceback."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS},
            hide_parameters=True,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True
    )


_engine: Engine | None = None


def get_engine() -> Engine:
    """The process's engine: the one ``set_engine`` installed, else one from settings."""
    global _engine  # noqa: PLW0603 - one engine per process, by design
    if _engine is None:
        _engine = make_engine(get_settings().database_url)
    return _engine


def set_engine(engine: Engine | None) -> None:
    global _engine  # noqa: PLW0603
    _engine = engine


@lru_cache(maxsize=4)
def _session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, class_=Session, expire_on_commit=False)


@contextmanager
def unit_of_work(engine: Engine | None = None, *, write: bool = True) -> Iterator[Session]:
    """One transaction: commit when the block ends, roll back if it raises.

    ``write=False`` marks a transaction that only reads (it may still write, at the
    risk of a retried lock conflict on SQLite). On SQLite it still is one transaction:
    its reads see one snapshot, as PostgreSQL's do (the driver would run each SELECT on
    its own).
    """
    chosen = engine or get_engine()
    session = _session_factory(chosen)()
    sqlite_writer = write and chosen.dialect.name == "sqlite"
    writer = _writer_lock(chosen) if sqlite_writer else None
    # Past the busy timeout, the transaction goes on to SQLite's own lock (and its error).
    if writer is not None and not writer.acquire(timeout=SQLITE_BUSY_SECONDS):
        writer = None
    try:
        if sqlite_writer:
            # Take SQLite's write lock up front, so concurrent writers queue on the busy
            # timeout instead of failing when a read lock cannot be upgraded.
            session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        else:
            begin_reads(session)
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
        if writer is not None:
            writer.release()
        forget_sent(session, chosen)


def begin_reads(session: Session) -> None:
    """On SQLite, begin the session's transaction, so that its reads see one snapshot
    (the driver would run each SELECT on its own); elsewhere, nothing to do."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("BEGIN")


# SQLite takes one writer at a time. Writers of this process queue here, each woken the
# moment the one before it ends; left to SQLite's busy timeout they would poll with
# sleeps of up to 100 ms, and under a few concurrent writers some waited over a second.
# Other processes on the same file still queue on the busy timeout.
_writer_locks: dict[int, threading.RLock] = {}
_writer_locks_guard = threading.Lock()


def _writer_lock(engine: Engine) -> threading.RLock:
    with _writer_locks_guard:
        return _writer_locks.setdefault(id(engine), threading.RLock())


def core_rows(session: Session, statement: Executable, params: dict[str, Any]) -> Result[Any]:
    """A Core statement's rows in the session's transaction, after flushing what the
    session holds (as an ORM query does first): plain rows, without building objects."""
    session.flush()
    return session.connection().execute(statement, params)


def is_transient(error: BaseException) -> bool:
    """A conflict that a retry of the whole transaction resolves."""
    if not isinstance(error, OperationalError | DBAPIError):
        return False
    original = getattr(error, "orig", None)
    code = getattr(original, "sqlstate", None)
    # 40001 serialization failure, 40P01 deadlock (PostgreSQL); SQLite's lock upgrade.
    return code in ("40001", "40P01") or "database is locked" in str(original)


def in_transaction(
    fn: Callable[[Session], T],
    *,
    attempts: int = 5,
    engine: Engine | None = None,
    write: bool = True,
) -> T:
    """Run ``fn`` in a unit of work, retrying the whole of it on a transient conflict."""
    for attempt in range(1, attempts + 1):
        try:
            with unit_of_work(engine, write=write) as session:
                return fn(session)
        except DBAPIError as exc:
            if attempt == attempts or not is_transient(exc):
                raise
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")  # pragma: no cover
