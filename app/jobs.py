"""Background jobs: enqueue by actor name, only after the transaction commits.

Services call ``enqueue(session, "actor.name", ...)``. The message waits in the
session until it commits and is dropped if it rolls back, so a job never sees state
that was not stored. The broker itself (Redis, or in-process in the embedded mode) is
chosen by ``workers.broker``; this module only needs ``dramatiq.get_broker()``.
"""

from __future__ import annotations

from typing import Any, cast

import dramatiq
import structlog
from dramatiq.results import Results, ResultTimeout
from dramatiq.results.backend import ResultBackend
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from app.errors import AppError

log = structlog.get_logger(__name__)

DEFAULT_QUEUE = "default"
_PENDING = "billing_sync.pending_jobs"


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
    """Buffer a message for ``actor_name``; it is sent when ``session`` commits."""
    message: dramatiq.Message[Any] = dramatiq.Message(
        queue_name=queue_name,
        actor_name=actor_name,
        args=(),
        kwargs=kwargs,
        options={},
    )
    if not session.in_transaction():
        # Begin explicitly so that a rollback before any SQL still ends a transaction
        # (and drops this message) instead of being a no-op.
        session.begin()
    pending = session.info.setdefault(_PENDING, [])
    pending.append((message, delay_ms))
    return message


def pending_jobs(session: Session) -> list[dramatiq.Message[Any]]:
    return [message for message, _ in session.info.get(_PENDING, [])]


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, [])
    if not pending:
        return
    broker = dramatiq.get_broker()
    for message, delay_ms in pending:
        broker.enqueue(message, delay=delay_ms)
        log.info("job.enqueued", actor=message.actor_name, message_id=message.message_id)


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    # "soft" fires on every rollback() call, also when no SQL had run yet (a plain
    # after_rollback would miss that and the jobs would ride along on the next commit).
    if previous_transaction.nested:
        return
    dropped = session.info.pop(_PENDING, [])
    if dropped:
        log.info("job.dropped", count=len(dropped), reason="rollback")


def result_backend() -> ResultBackend:
    for middleware in dramatiq.get_broker().middleware:
        if isinstance(middleware, Results):
            return cast(ResultBackend, middleware.backend)
    raise RuntimeError("the broker has no results backend")


def wait_for_result(message: dramatiq.Message[Any], timeout_seconds: float) -> Any:
    """Block until the actor answers ``message``; raise ``JobTimedOut`` after the bound."""
    try:
        return message.get_result(
            backend=result_backend(), block=True, timeout=int(timeout_seconds * 1000)
        )
    except ResultTimeout as exc:
        raise JobTimedOut(
            f"no answer from job {message.actor_name} within {timeout_seconds:g}s",
            message_id=message.message_id,
        ) from exc
