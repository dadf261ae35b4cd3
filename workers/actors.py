"""The actors. Each one is thin: unpack ids, open a unit of work, call a service.

``ACTORS`` lists (function, options); ``workers.broker.build_broker`` declares them.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from typing import Any

import structlog

from app.db import get_engine
from app.subscriptions import transitions
from workers import billing, imports, webhook_jobs

log = structlog.get_logger(__name__)


def ping() -> dict[str, Any]:
    """Answer with where it ran and whether the database answers: a worker liveness probe."""
    with get_engine().connect() as connection:
        connection.exec_driver_sql("SELECT 1")
    return {"pong": True, "host": socket.gethostname(), "pid": os.getpid()}


def run_due_transitions() -> None:
    """Apply every time-driven subscription transition that is due.

    It runs on every scheduler tick, so it returns nothing: Dramatiq would warn about a
    value that no one stores on each tick. The count is logged when there is one.
    """
    applied = transitions.run_due()
    if applied:
        log.info("subscriptions.transitions_applied", count=applied)


ACTORS: list[tuple[Callable[..., Any], dict[str, Any]]] = [
    *billing.ACTORS,
    *imports.ACTORS,
    *webhook_jobs.ACTORS,
    (ping, {"actor_name": "system.ping", "store_results": True, "max_retries": 0}),
    (
        run_due_transitions,
        {
            "actor_name": "subscriptions.run_due_transitions",
            "max_retries": 3,
            "time_limit": 10 * 60 * 1000,
        },
    ),
]
