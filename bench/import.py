"""Bulk import speed on PostgreSQL without Stripe: 100,000 customers, 100,000
subscriptions and 100,000 usage rows through the import service (checked, stored in
chunks, each chunk applied as a worker applies it), printing rows/s per kind.

    .venv/bin/python bench/import.py [rows] [workers]

The database is BENCH_DATABASE_URL (default: a database of its own on the local server,
created and dropped). The goal: the three kinds in under 60 s together.

    .venv/bin/python bench/import.py --stripe [customers]

imports customers with a card and a paid subscription each (default 300) with the
`billing-sync import` command into `billing-sync serve` billed in the Stripe test server,
which answers 429 past STRIPE_RATE_LIMIT (default 25) requests a second as Stripe does,
and prints the Stripe requests/s the import's jobs made against that limit (goal: 90%
of it or more, and no 429).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
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
from bench.service import CLI, running
from tests.imports.conftest import import_catalog
from tests.stripe_server.server import StripeTestServer
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


def _subscriptions_created(server: StripeTestServer, before: int = 0) -> int:
    return sum(
        1
        for r in list(server.api.requests)[before:]
        if r.get("method") == "POST"
        and r.get("path") == "/v1/subscriptions"
        and r.get("status") == 200
    )


def stripe(count: int) -> None:
    """The import's Stripe side: its requests/s against the rate limit in force."""
    limit = int(os.environ.get("STRIPE_RATE_LIMIT", "25"))
    customers = [{"customerId": f"c-{i}", "paymentMethodId": "pm_card_visa"} for i in range(count)]
    subscriptions = [
        {
            "customerId": f"c-{i}",
            "planId": "plan-revvenu-essentials",
            "billingPeriod": "MONTHLY",
            "unitQuantity": 2,
            "startDate": "2026-09-10T00:00:00Z",
        }
        for i in range(count)
    ]
    with StripeTestServer() as server, tempfile.TemporaryDirectory(prefix="imps-") as tmp:
        folder = Path(tmp)
        (folder / "customers.json").write_text(json.dumps({"customers": customers}))
        (folder / "subscriptions.json").write_text(json.dumps({"subscriptions": subscriptions}))
        # The test server refuses what Stripe would: more than the limit is a 429.
        server.api.rate_limit = limit
        settings = {
            "STRIPE_API_KEY": "sk_test_bench",
            "STRIPE_API_BASE": server.url,
            "STRIPE_RATE_LIMIT": str(limit),
            "WORKER_THREADS": "8",
        }
        with running(**settings) as service:
            env = {**os.environ, "BILLING_SYNC_API_KEY": service.key}
            # What the service did in Stripe before the import (its catalog) is left out.
            before = len(server.api.requests)
            started = time.perf_counter()
            command = subprocess.Popen(
                [
                    str(CLI),
                    "import",
                    "--customers-file",
                    str(folder / "customers.json"),
                    "--subscriptions-file",
                    str(folder / "subscriptions.json"),
                    "--api-url",
                    service.base,
                ],
                env=env,
                stdout=subprocess.DEVNULL,
            )
            first: float | None = None
            imported: float | None = None
            deadline = time.monotonic() + 60 + 20 * count / limit
            while _subscriptions_created(server, before) < count and time.monotonic() < deadline:
                if first is None and len(server.api.requests) > before:
                    first = time.perf_counter()
                if imported is None and command.poll() is not None:
                    imported = time.perf_counter() - started
                time.sleep(0.01)
            finished = time.perf_counter()
            if command.wait(timeout=120) != 0:
                raise SystemExit("billing-sync import failed")
            made = list(server.api.requests)[before:]
    elapsed = finished - started
    syncing = finished - (first or started)
    requests = len(made)
    limited = sum(1 for r in made if r.get("status") == 429)
    created = sum(
        1
        for r in made
        if r.get("method") == "POST"
        and r.get("path") == "/v1/subscriptions"
        and r.get("status") == 200
    )
    per_second = requests / syncing
    print(
        f"{count} customers with a card and a paid subscription: rows imported in "
        f"{imported or elapsed:.1f} s, all in Stripe after {elapsed:.1f} s "
        f"({created} subscriptions created)"
    )
    print(
        f"Stripe requests: {requests} ({requests / count:.1f} per customer) in the "
        f"{syncing:.1f} s from the first to the last: {per_second:.1f}/s = "
        f"{per_second / limit:.0%} of the {limit}/s limit in force (goal: 90% or more; over "
        f"the whole run {requests / elapsed / limit:.0%}), {limited} answered 429"
    )


def main() -> None:
    if "--stripe" in sys.argv:
        numbers = [a for a in sys.argv[1:] if a != "--stripe"]
        stripe(int(numbers[0]) if numbers else 300)
        return
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
