"""Bulk imports: validate every row, store the import in chunks, let workers apply them.

``prepare`` parses the rows; ``start`` checks them against the database and refuses
the whole import when a row is bad (every problem listed by index and field), or, with
``skip_invalid``, keeps the refused rows on the task and stores the rest. Each chunk is
one job; ``run_chunk`` applies a chunk and marks it done in the same transaction, so a
chunk whose worker died is applied again and a done one never twice. Entitlement caches
drop the affected customers once the chunk has committed.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import text
from sqlmodel import Session, col, select

from app import clock
from app.billing.crypto import seal, unseal
from app.db import get_engine, in_transaction, unit_of_work
from app.entitlements import cache
from app.environments.service import billing_integrated
from app.errors import NotFound
from app.imports import checks, customers, links, repository, subscriptions, usage
from app.imports.outcomes import ChunkResult, Outcome
from app.imports.schemas import (
    CHUNK_ROWS,
    CustomerRow,
    ImportInvalid,
    ImportRow,
    RowProblem,
    SubscriptionRow,
    UsageRow,
    parse_rows,
)
from app.jobs import enqueue
from app.models import Environment, ImportChunk, ImportTask
from app.models.imports import ImportKind, ImportStatus

T = TypeVar("T")
RUN_CHUNK = "imports.run_chunk"
_ROW_TYPES: dict[ImportKind, type[ImportRow]] = {
    ImportKind.CUSTOMERS: CustomerRow,
    ImportKind.SUBSCRIPTIONS: SubscriptionRow,
    ImportKind.USAGE: UsageRow,
}
FIELDS = {
    ImportKind.CUSTOMERS: "input.customers",
    ImportKind.SUBSCRIPTIONS: "input.subscriptions",
    ImportKind.USAGE: "input.usages",
}


class ImportNotFound(NotFound):
    code = "IMPORT_NOT_FOUND"


@dataclass
class Prepared:
    kind: ImportKind
    rows: list[tuple[int, ImportRow]]
    problems: list[RowProblem]
    total: int


def prepare(environment: Environment, kind: ImportKind, items: list[Any]) -> Prepared:
    """Parse every row."""
    where = FIELDS[kind]
    rows, problems = parse_rows(_ROW_TYPES[kind], items, where, environment.id)
    return Prepared(kind, rows, problems, len(items))


def _checked(session: Session, environment: Environment, prepared: Prepared) -> list[RowProblem]:
    where = FIELDS[prepared.kind]
    refused = {p.index for p in prepared.problems}
    rows = [(i, r) for i, r in prepared.rows if i not in refused]
    integrated = billing_integrated(session, environment.id)
    if prepared.kind is ImportKind.CUSTOMERS:
        typed_c = _only(rows, CustomerRow)
        return checks.customers(session, environment, typed_c, where, integrated=integrated)
    if prepared.kind is ImportKind.SUBSCRIPTIONS:
        typed = _only(rows, SubscriptionRow)
        return checks.subscriptions(session, environment, typed, where, integrated=integrated)
    return checks.usage(session, environment, _only(rows, UsageRow), where)


def _only(rows: list[tuple[int, ImportRow]], kind: type[T]) -> list[tuple[int, T]]:
    return [(i, r) for i, r in rows if isinstance(r, kind)]


def start(
    session: Session, environment: Environment, prepared: Prepared, *, skip_invalid: bool
) -> ImportTask:
    """Refuse the import or store it and queue its chunks; returns the task."""
    problems = sorted(
        prepared.problems + _checked(session, environment, prepared),
        key=lambda p: (p.index, p.field),
    )
    if problems and not skip_invalid:
        raise ImportInvalid(FIELDS[prepared.kind], problems)
    refused = {p.index for p in problems}
    rows = [(i, r) for i, r in prepared.rows if i not in refused]
    task = ImportTask(
        environment_id=environment.id,
        kind=prepared.kind.value,
        total_rows=prepared.total,
        refused=[p.as_dict() for p in problems] or None,
    )
    session.add(task)
    session.flush()
    chunks = [rows[at : at + CHUNK_ROWS] for at in range(0, len(rows), CHUNK_ROWS)]
    for position, chunk_rows in enumerate(chunks):
        cards = {
            str(i): r.paymentMethodId
            for i, r in chunk_rows
            if isinstance(r, CustomerRow) and r.paymentMethodId
        }
        chunk = ImportChunk(
            import_id=task.id,
            position=position,
            first_index=chunk_rows[0][0],
            # Only the fields the row gave: a field left out leaves the stored value alone
            # (a billingId left out must not unlink a Stripe customer).
            rows=[
                {
                    "index": i,
                    **r.model_dump(mode="json", exclude={"paymentMethodId"}, exclude_unset=True),
                }
                for i, r in chunk_rows
            ],
            sealed=seal(cards) if cards else None,
        )
        session.add(chunk)
        session.flush()
        enqueue(session, RUN_CHUNK, chunk_id=chunk.id)
    task.chunk_count = len(chunks)
    session.add(task)
    session.flush()
    return task


def run_chunk(chunk_id: str) -> None:
    """Apply one chunk (a no-op once it is done), then drop the stale entitlement states.

    The Stripe objects its rows link are read first, with no transaction open."""
    refused = links.refused(chunk_id)
    changes = in_transaction(lambda session: _apply(session, chunk_id, refused))
    if changes:
        cache.apply(changes)
        cache.publish(changes)
    _analyze_grown_tables()


# The tables an import fills. PostgreSQL plans each chunk's lookups (1,000 ids at a time)
# from the tables' statistics; an import doubles a table faster than autovacuum analyzes
# it, and on statistics of a near-empty table the planner reads every row of the
# environment for each lookup (each chunk slower than the one before).
_GROWING = ("customer", "subscription", "subscription_feature_quantity", "feature_usage")
_analyzing = threading.Lock()


def _analyze_grown_tables() -> None:
    """ANALYZE each of those tables changed by more than 1,000 rows and more than half
    the rows it holds since it was last analyzed (a few times over an import of any
    size); one at a time in a process."""
    if get_engine().dialect.name != "postgresql" or not _analyzing.acquire(blocking=False):
        return
    try:
        with unit_of_work(write=False) as session:
            grown = session.execute(
                text(
                    "SELECT relname FROM pg_stat_user_tables WHERE relname = ANY(:names) "
                    "AND n_mod_since_analyze > GREATEST(1000, n_live_tup / 2)"
                ),
                {"names": list(_GROWING)},
            ).scalars()
            for name in list(grown):
                session.execute(text(f'ANALYZE "{name}"'))
    finally:
        _analyzing.release()


def _apply(session: Session, chunk_id: str, refused: dict[int, str]) -> set[tuple[str, str]]:
    chunk = repository.chunk_for_update(session, chunk_id)
    if chunk is None or chunk.done:
        return set()
    task = session.get(ImportTask, chunk.import_id)
    environment = session.get(Environment, task.environment_id) if task else None
    if task is None or environment is None:
        return set()
    kind = ImportKind(task.kind)
    row_type = _ROW_TYPES[kind]
    every = [
        (
            int(data["index"]),
            row_type.model_validate({k: v for k, v in data.items() if k != "index"}),
        )
        for data in chunk.rows
    ]
    rows = [(i, r) for i, r in every if i not in refused]
    now = clock.now()
    integrated = billing_integrated(session, environment.id)
    result: ChunkResult
    if kind is ImportKind.CUSTOMERS:
        cards = {int(i): str(pm) for i, pm in unseal(chunk.sealed).items()} if chunk.sealed else {}
        typed = _only(rows, CustomerRow)
        result = customers.apply(session, environment, typed, cards, now, integrated=integrated)
    elif kind is ImportKind.SUBSCRIPTIONS:
        typed_s = _only(rows, SubscriptionRow)
        result = subscriptions.apply(session, environment, typed_s, now, integrated=integrated)
    else:
        result = usage.apply(session, environment, _only(rows, UsageRow), now)
    for index, reason in refused.items():
        result.set(index, Outcome.FAILED, reason)
    outcomes = [list(result.outcomes[i]) for i, _ in every]
    chunk.outcomes = outcomes
    chunk.counts = dict(Counter(str(o[0]) for o in outcomes))
    chunk.sealed = None
    chunk.done = True
    chunk.finished_at = now
    session.add(chunk)
    session.flush()
    return result.changes


@dataclass
class Progress:
    task: ImportTask
    status: ImportStatus
    processed: int
    counts: dict[Outcome, int] = field(default_factory=dict)


def progress(session: Session, environment: Environment, import_id: str) -> Progress:
    task = repository.task(session, environment.id, import_id)
    if task is None:
        raise ImportNotFound(f"import {import_id!r} not found", field="importId")
    query = select(ImportChunk.counts).where(
        ImportChunk.import_id == task.id, col(ImportChunk.done).is_(True)
    )
    counts: Counter[Outcome] = Counter()
    done = 0
    for found in session.exec(query):
        done += 1
        for name, count in (found or {}).items():
            counts[Outcome(name)] += int(count)
    refused = len({entry["index"] for entry in task.refused or []})
    counts[Outcome.FAILED] += refused
    status = ImportStatus.COMPLETED if done >= task.chunk_count else ImportStatus.IN_PROGRESS
    return Progress(task, status, sum(counts.values()), dict(counts))


@dataclass(frozen=True)
class RowOutcome:
    index: int
    outcome: Outcome
    reason: str | None


def row_outcomes(
    session: Session, environment: Environment, import_id: str, offset: int, limit: int
) -> list[RowOutcome]:
    """The outcome of each row so far (refused rows as FAILED), by index."""
    task = repository.task(session, environment.id, import_id)
    if task is None:
        raise ImportNotFound(f"import {import_id!r} not found", field="importId")
    found: dict[int, RowOutcome] = {}
    for entry in task.refused or []:
        index = int(entry["index"])
        earlier = found.get(index)
        reason = f"{entry['field']}: {entry['message']}"
        if earlier is not None and earlier.reason:
            reason = f"{earlier.reason}; {reason}"
        found[index] = RowOutcome(index, Outcome.FAILED, reason)
    for chunk in repository.chunks_of(session, task.id, done=True):
        for data, outcome in zip(chunk.rows, chunk.outcomes or [], strict=False):
            index = int(data["index"])
            found[index] = RowOutcome(index, Outcome(outcome[0]), outcome[1])
    ordered = [found[i] for i in sorted(found)]
    return ordered[offset : offset + limit]
