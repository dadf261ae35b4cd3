"""Background jobs: enqueue by actor name, through a transactional outbox.

Services call ``enqueue(session, "actor.name", ...)``. The message is written to the
outbox table in the caller's transaction, so a change and its intent to sync commit
together or not at all. After the commit the message is handed to the broker and its
outbox row deleted; if the broker cannot be reached the row stays, the caller's request
still succeeds (the change is stored), and ``relay`` hands the row over later. A job
therefore never sees state that was not stored, and a stored change is never left
without its job. The broker itself (Redis, or in-process in the embedded mode) is
chosen by ``workers.broker``; this module only needs ``dramatiq.get_broker()``.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta
from typing import Any, cast

import dramatiq
import structlog
from dramatiq.results import Results, ResultTimeout
from dramatiq.results.backend import ResultBackend
from sqlalchemy import Engine, delete, event, insert, update
from sqlalchemy.orm import Session, SessionTransaction
from sqlmodel import col, select

from app.errors import AppError
from app.models.base import new_id, utcnow
from app.models.outbox import OutboxMessage

log = structlog.get_logger(__name__)

DEFAULT_QUEUE = "default"
_PENDING = "billing_sync.pending_jobs"
_SENT = "billing_sync.sent_jobs"
# Ids of messages whose hand-over after commit failed: nobody should wait for them.
_deferred: set[str] = set()


class JobTimedOut(AppError):
    code = "JOB_TIMEOUT"
    http_status = 504


def enqueue(
    session: Session,
    actor_name: str,
    *,
    queue_name: str = DEFAULT_QUEUE,
    delay_ms: int | None = None,
    **kwargs: Any,
) -> dramatiq.Message[Any]:
    """Write a message for ``actor_name`` to the outbox; it is sent once ``session`` commits."""
    if not session.in_transaction():
        # Begin explicitly so that a rollback before any SQL still ends a transaction
        # (and drops this message) instead of being a no-op.
        session.begin()
    message = _message(queue_name, actor_name, kwargs, new_id())
    # A statement of its own rather than an ORM row: the flush's bookkeeping cost more
    # than the insert, and nothing reads the row back through the session.
    session.connection().execute(
        insert(OutboxMessage.__table__),  # type: ignore[attr-defined]
        {
            "id": message.message_id,
            "queue_name": queue_name,
            "actor_name": actor_name,
            "arguments": message.kwargs,
            "delay_ms": delay_ms,
            "created_at": utcnow(),
            "attempts": 0,
            "last_error": None,
        },
    )
    # Sent once the outermost transaction commits. The innermost savepoint it was
    # written in is its owner: rolling that back drops it.
    owner = session.get_nested_transaction()
    session.info.setdefault(_PENDING, []).append((message, delay_ms, owner))
    return message


def _message(
    queue_name: str, actor_name: str, arguments: dict[str, Any], message_id: str
) -> dramatiq.Message[Any]:
    return dramatiq.Message(
        queue_name=queue_name,
        actor_name=actor_name,
        args=(),
        kwargs=dict(arguments),
        options={},
        message_id=message_id,
    )


def _message_of(row: OutboxMessage) -> dramatiq.Message[Any]:
    return _message(row.queue_name, row.actor_name, row.arguments, row.id)


def pending_jobs(session: Session) -> list[dramatiq.Message[Any]]:
    return [message for message, _, _ in session.info.get(_PENDING, [])]


def was_sent(message: dramatiq.Message[Any]) -> bool:
    """Whether the message reached the broker (when its transaction committed, or since)."""
    return message.message_id not in _deferred


def _send(message: dramatiq.Message[Any], delay_ms: int | None) -> bool:
    try:
        dramatiq.get_broker().enqueue(message, delay=delay_ms)
    except Exception as exc:  # noqa: BLE001 - any broker failure leaves the row to the relay
        _deferred.add(message.message_id)
        log.warning(
            "job.deferred",
            actor=message.actor_name,
            message_id=message.message_id,
            error=type(exc).__name__,
        )
        return False
    _deferred.discard(message.message_id)
    log.info("job.enqueued", actor=message.actor_name, message_id=message.message_id)
    return True


def _forget(engine: Engine, ids: list[str]) -> None:
    if not ids:
        return
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Not worth a wait for the disk: a row whose deletion is lost in a crash
                # is relayed again, which actors take in their stride.
                connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
            connection.execute(delete(OutboxMessage).where(col(OutboxMessage.id).in_(ids)))
    except Exception:  # noqa: BLE001 - the relay sends them again; actors are idempotent
        log.warning("job.outbox_cleanup_failed", count=len(ids))


# How long the outbox rows of sent messages wait to be deleted together. Well inside
# the relay's five seconds, so a row is not sent twice for being deleted late.
FORGET_AFTER_SECONDS = 0.05
_FORGET_CHUNK = 1000


class _SentRows:
    """The outbox rows of messages handed to the broker, deleted in the background: one
    statement for what the process sent in the last ``FORGET_AFTER_SECONDS`` rather than
    a transaction (a connection, a commit) for each unit of work that enqueued a job. A
    row whose deletion is lost (the process ends first) is relayed again."""

    def __init__(self, delay_seconds: float = FORGET_AFTER_SECONDS) -> None:
        self._delay = delay_seconds
        self._lock = threading.Lock()
        self._added = threading.Condition(self._lock)
        self._ids: dict[Engine, list[str]] = {}
        self._flushing = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def add(self, engine: Engine, ids: list[str]) -> None:
        with self._lock:
            self._ids.setdefault(engine, []).extend(ids)
            if self._thread is None or self._pid != os.getpid():
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="outbox-forget", daemon=True)
                self._thread.start()
            self._added.notify()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._ids:
                    self._added.wait()
            time.sleep(self._delay)
            self.flush()

    def flush(self) -> None:
        """Delete every row handed over so far; returns once they are deleted (or their
        deletion has failed and is left to the relay)."""
        with self._flushing:
            with self._lock:
                taken, self._ids = self._ids, {}
            for engine, ids in taken.items():
                for start in range(0, len(ids), _FORGET_CHUNK):
                    _forget(engine, ids[start : start + _FORGET_CHUNK])


_sent_rows = _SentRows()


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    # SQLAlchemy reports a released savepoint as a commit too: its jobs wait for the
    # outermost transaction, whose commit is the only one other connections can see.
    if session.in_nested_transaction():
        return
    pending = session.info.pop(_PENDING, [])
    if not pending:
        return
    sent = [message.message_id for message, delay_ms, _ in pending if _send(message, delay_ms)]
    # Deleted once the session has let go of its connection (``forget_sent``): asking
    # the pool for a second one here could wait on connections that wait on this one.
    session.info.setdefault(_SENT, []).extend(sent)


def forget_sent(session: Session, engine: Engine) -> None:
    """Have the outbox rows of the messages ``session`` handed to the broker deleted.
    Called by the unit of work after the session is closed; rows left behind (a session
    used outside it, a crash in between) are relayed again, which actors take in their
    stride."""
    sent = session.info.pop(_SENT, [])
    if sent:
        _sent_rows.add(engine, sent)


def forget_sent_now() -> None:
    """Delete at once the outbox rows of every message sent so far (at shutdown, and
    where a test counts what waits in the outbox)."""
    _sent_rows.flush()


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    # "soft" fires on every rollback() call, also when no SQL had run yet (a plain
    # after_rollback would miss that and the jobs would ride along on the next commit).
    # A savepoint rolled back drops the jobs written inside it (and inside the savepoints
    # it held), whose rows it rolled back; the transaction's other jobs stay.
    pending = session.info.pop(_PENDING, [])
    kept = (
        [entry for entry in pending if not _inside(entry[2], previous_transaction)]
        if previous_transaction.nested
        else []
    )
    if kept:
        session.info[_PENDING] = kept
    if len(pending) > len(kept):
        log.info("job.dropped", count=len(pending) - len(kept), reason="rollback")


def _inside(owner: SessionTransaction | None, savepoint: SessionTransaction) -> bool:
    while owner is not None:
        if owner is savepoint:
            return True
        owner = owner.parent
    return False


def relay(engine: Engine, *, older_than_seconds: float = 5.0, limit: int = 500) -> int:
    """Hand the outbox's unsent messages to the broker; returns how many were sent.

    Rows younger than ``older_than_seconds`` are left to the commit that wrote them.
    Several relays may run at once: on PostgreSQL each takes its rows with SKIP LOCKED.
    """
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    with Session(engine) as session, session.begin():
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.created_at <= cutoff)
            .order_by(col(OutboxMessage.created_at))
            .limit(limit)
        )
        if engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list(session.scalars(query))
        sent: list[str] = []
        for row in rows:
            if _send(_message_of(row), row.delay_ms):
                sent.append(row.id)
            else:
                session.execute(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.id) == row.id)
                    .values(attempts=OutboxMessage.attempts + 1, last_error="broker unreachable")
                )
                break  # the broker is down: the rest waits for the next round
        if sent:
            session.execute(delete(OutboxMessage).where(col(OutboxMessage.id).in_(sent)))
    if rows:
        log.info("job.relayed", sent=len(sent), waiting=len(rows) - len(sent))
    return len(sent)


def result_backend() -> ResultBackend:
    for middleware in dramatiq.get_broker().middleware:
        if isinstance(middleware, Results):
            return cast(ResultBackend, middleware.backend)
    raise RuntimeError("the broker has no results backend")


def wait_for_result(message: dramatiq.Message[Any], timeout_seconds: float) -> Any:
    """Block until the actor answers ``message``; raise ``JobTimedOut`` after the bound."""
    if not was_sent(message):
        raise JobTimedOut(
            f"job {message.actor_name} is waiting in the outbox for the broker",
            message_id=message.message_id,
        )
    try:
        return message.get_result(
            backend=result_backend(), block=True, timeout=int(timeout_seconds * 1000)
        )
    except ResultTimeout as exc:
        raise JobTimedOut(
            f"no answer from job {message.actor_name} within {timeout_seconds:g}s",
            message_id=message.message_id,
        ) from exc
