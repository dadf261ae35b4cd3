"""Bulk import speed on PostgreSQL without Stripe: 100,000 customers, 100,000
subscriptions and 100,000 usage rows through the import service (checked, stored in
chunks, each chunk applied as a worker applies it), printing rows/s per kind.

    .venv/bin/python bench/import.py [rows] [workers]

The database is BENCH_DATABASE_URL (default: a database of its own on the local server,
created and dropped). The goal: the three kinds in under 60 s together.
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
from dramatiq import set_broker
from dramatiq.brokers.stub import StubBroker
from sqlmodel import Session, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import db, migrations
from app.config import Settings, set_settings
from app.imports import service
from app.imports.schemas import MAX_ROWS_PER_CALL
from app.logging import configure_logging
from app.models import Environment, ImportChunk
from app.models.imports import ImportKind
from tests.imports.conftest import import_catalog
from tests.subscriptions.factories import apply

SERVER = "postgresql://postgres@127.0.0.1:5432"
NAME = f"billing_sync_bench_import_{os.getpid()}"


def _import(
    environment: Environment, kind: ImportKind, rows: list[dict[str, Any]], workers: int
) -> float:
    started = time.monotonic()
    ids = []
    for first in range(0, len(rows), MAX_ROWS_PER_CALL):
        prepared = service.prepare(environment, kind, rows[first : first + MAX_ROWS_PER_CALL])
        with db.unit_of_work() as session:
            ids.append(service.start(session, environment, prepared, skip_invalid=False).id)
    with Session(db.get_engine()) as session:
        chunks = list(
            session.exec(select(ImportChunk.id).where(ImportChunk.import_id.in_(ids)))  # type: ignore[attr-defined]
        )
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(service.run_chunk, chunks))
    return time.monotonic() - started


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    url = os.environ.get("BENCH_DATABASE_URL")
    own = url is None
    if own:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{NAME}"')
        url = f"{SERVER}/{NAME}"
    set_settings(Settings(database_url=url, log_level="WARNING", _env_file=None))  # type: ignore[call-arg]
    configure_logging("WARNING")
    broker = StubBroker()
    broker.declare_queue("default")
    set_broker(broker)
    try:
        migrations.upgrade()
        with db.unit_of_work() as session:
            environment = Environment(name="bench")
            session.add(environment)
            session.flush()
            apply(session, environment, import_catalog())
        customers = [{"customerId": f"c-{i}", "name": f"Customer {i}"} for i in range(count)]
        subscriptions = [
            {
                "customerId": f"c-{i}",
                "planId": "plan-1",
                "resourceId": "site-1",
                "billingPeriod": "MONTHLY",
                "billableFeatures": [
                    {"featureId": "feature-seats", "quantity": 5},
                    {"featureId": "feature-projects", "quantity": 25},
                ],
            }
            for i in range(count)
        ]
        usage = [
            {
                "customerId": f"c-{i}",
                "resourceId": "site-1",
                "featureId": "feature-seats",
                "usage": i % 50,
            }
            for i in range(count)
        ]
        total = 0.0
        for kind, rows in (
            (ImportKind.CUSTOMERS, customers),
            (ImportKind.SUBSCRIPTIONS, subscriptions),
            (ImportKind.USAGE, usage),
        ):
            seconds = _import(environment, kind, rows, workers)
            total += seconds
            rate = count / seconds
            print(
                f"{kind.value.lower():>13}: {count} rows in {seconds:6.1f} s = {rate:8,.0f} rows/s"
            )
        print(f"{'all':>13}: {3 * count} rows in {total:6.1f} s (goal: under 60 s for 3 x 100,000)")
    finally:
        db.get_engine().dispose()
        if own:
            with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')


if __name__ == "__main__":
    main()
