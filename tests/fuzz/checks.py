"""What every answer must be, whatever was sent: the fuzz suite's one oracle.

- never HTTP 500, and always JSON in the GraphQL error shape, each error with a code;
- never ``INTERNAL_SERVER_ERROR``;
- never slower than ``MAX_SECONDS``;
- no stack trace, SQL, file path or secret in the body;
- a request refused as a whole changes nothing stored.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import dramatiq
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import Engine, text
from sqlmodel import SQLModel
from starlette.testclient import TestClient

MAX_SECONDS = 2.0
# What a body never shows: traces, SQL and driver errors, where the code lives.
LEAKS = (
    "Traceback",
    'File "',
    "sqlalchemy",
    "psycopg",
    "sqlite3",
    "Background on this error",
    "site-packages",
    "/work/",
)


@dataclass
class Tally:
    """How many requests the suite sent; reported at the end of the run."""

    generated: int = 0
    hostile: int = 0
    seen_codes: dict[str, int] = field(default_factory=dict)


TALLY = Tally()


def fingerprint(engine: Engine) -> str:
    """A digest of every row of every table (on PostgreSQL, in one round trip)."""
    tables = [table.name for table in SQLModel.metadata.sorted_tables]
    digest = hashlib.sha256()
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            query = " UNION ALL ".join(
                f"SELECT '{name}', md5(coalesce(string_agg(r::text, ',' ORDER BY r::text), ''))"
                f' FROM "{name}" r'
                for name in tables
            )
            for name, rows in connection.execute(text(query)).all():
                digest.update(f"{name}:{rows}".encode())
            return digest.hexdigest()
        for name in tables:
            rows = connection.execute(text(f'SELECT * FROM "{name}"')).all()
            digest.update(name.encode())
            for row in sorted(repr(tuple(r)) for r in rows):
                digest.update(row.encode())
    return digest.hexdigest()


def _refused_whole(body: Any) -> bool:
    if not isinstance(body, dict) or not body.get("errors"):
        return False
    data = body.get("data")
    return data is None or all(value is None for value in data.values())


@dataclass
class Sent:
    status: int
    body: Any
    seconds: float


@contextmanager
def _timed() -> Iterator[Callable[[], float]]:
    started = time.monotonic()
    yield lambda: time.monotonic() - started


def _settled() -> None:
    """Wait until the in-process worker has run every job enqueued so far: what an earlier
    request left to do (an import's chunks) must not land between two fingerprints."""
    broker = dramatiq.get_broker()
    if isinstance(broker, StubBroker):
        for queue in broker.get_declared_queues():
            broker.join(queue, timeout=10_000)


def check(
    engine: Engine,
    secrets: tuple[str, ...],
    send: Callable[[], Any],
    label: str,
) -> Sent:
    """Send a request and assert everything every answer must be; the answer."""
    _settled()
    before = fingerprint(engine)
    with _timed() as elapsed:
        response = send()
        seconds = elapsed()
    status = response.status_code
    raw = response.text
    assert status < 500, f"{label}: HTTP {status}: {raw[:500]}"
    assert seconds < MAX_SECONDS, f"{label}: answered in {seconds:.2f} s"
    for leak in (*LEAKS, *secrets):
        assert leak not in raw, f"{label}: the answer shows {leak!r}: {raw[:500]}"
    body = response.json()
    assert isinstance(body, dict), f"{label}: {raw[:300]}"
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        assert code, f"{label}: an error without a code: {error}"
        assert code != "INTERNAL_SERVER_ERROR", f"{label}: {error}"
        TALLY.seen_codes[code] = TALLY.seen_codes.get(code, 0) + 1
    if status >= 400 or _refused_whole(body):
        assert fingerprint(engine) == before, f"{label}: refused, yet stored state changed"
    return Sent(status, body, seconds)


def post(client: TestClient, api_key: str, query: str, variables: Any = None) -> Callable[[], Any]:
    payload: dict[str, Any] = {"query": query}
    if variables is not None:
        payload["variables"] = variables
    return lambda: client.post("/graphql", json=payload, headers={"X-API-KEY": api_key})
