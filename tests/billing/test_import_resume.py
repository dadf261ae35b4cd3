"""A bulk import into an environment billed in Stripe, interrupted and run again, ends
in the state one uninterrupted run gives: nothing duplicated locally or in Stripe."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
import stripe
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from app import db
from app.models import Environment, ImportTask, Subscription
from tests.billing.conftest import jobs_done
from tests.billing.stack import CLI, Stack, wait_until
from tests.billing.test_import_linking import api
from tests.billing.test_money_safety import assert_billed_once, pg, pg_url, settled
from tests.conftest import TEST_REDIS_URL, GraphQL, issue_key
from tests.imports.conftest import import_catalog, run_import
from tests.stripe_server.server import StripeTestServer
from tests.subscriptions.factories import apply

__all__ = ["api", "pg"]

PAID = {"planId": "plan-basic", "billingPeriod": "MONTHLY", "startDate": "2026-09-10T00:00:00Z"}


def test_answers_lost_after_stripe_acted_make_no_second_customer_or_subscription(
    api: GraphQL, stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    stripe_server.fail_next(500, path="/v1/customers", method="POST", after_execution=True)
    run_import(api, "customers", [{"customerId": "c-1", "paymentMethodId": "pm_card_visa"}])
    jobs_done(api)
    stripe_server.fail_next(500, path="/v1/subscriptions", method="POST", after_execution=True)
    run_import(api, "subscriptions", [{"customerId": "c-1", **PAID}])
    jobs_done(api)
    assert len(stripe_client.v1.customers.list().data) == 1
    (remote,) = stripe_client.v1.subscriptions.list({"status": "all"}).data
    with Session(db.get_engine()) as session:
        (local,) = session.exec(select(Subscription)).all()
    assert local.billing_id == remote.id


def _files(folder: Path, count: int) -> tuple[Path, Path]:
    customers = folder / "customers.json"
    subscriptions = folder / "subscriptions.json"
    ids = [f"c-{n:03d}" for n in range(count)]
    customers.write_text(
        json.dumps(
            {"customers": [{"customerId": c, "paymentMethodId": "pm_card_visa"} for c in ids]}
        )
    )
    subscriptions.write_text(
        json.dumps({"subscriptions": [{"customerId": c, **PAID} for c in ids]})
    )
    return customers, subscriptions


def _cli(stack: Stack, key: str, files: tuple[Path, Path], report: Path) -> subprocess.Popen[bytes]:
    customers, subscriptions = files
    return subprocess.Popen(
        [
            str(CLI),
            "import",
            "--customers-file",
            str(customers),
            "--subscriptions-file",
            str(subscriptions),
            "--api-url",
            stack.url,
            "--report",
            str(report),
        ],
        env={**os.environ, "BILLING_SYNC_API_KEY": key},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _outcomes(report: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in report.read_text().splitlines():
        outcome = json.loads(line)["outcome"]
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def _imports(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(ImportTask)).one())


def _billed(engine: Engine) -> int:
    with Session(engine) as session:
        query = select(func.count()).where(col(Subscription.billing_id).is_not(None))
        return int(session.exec(query.select_from(Subscription)).one())


@pytest.mark.slow
def test_an_import_killed_at_each_step_and_run_again_duplicates_nothing_in_stripe(
    pg: Engine,
    stripe_server: StripeTestServer,
    stripe_client: stripe.StripeClient,
    tmp_path: Path,
) -> None:
    with Session(pg, expire_on_commit=False) as session:
        environment = Environment(name="development")
        session.add(environment)
        session.commit()
        apply(session, environment, import_catalog())
    key = issue_key(pg, "development")
    count = 20
    files = _files(tmp_path, count)
    stack = Stack(
        stripe_server,
        logs=tmp_path,
        database_url=pg_url(pg),
        redis_url=TEST_REDIS_URL,
        workers=1,
        # Messages a killed worker held come back once it counts as dead (3 s) and a
        # broker command runs the check (a fifth of them here, as in the money-safety
        # storms): left at a thousandth, the check could wait out the test's minutes
        # while cards sealed in those messages kept subscriptions waiting.
        extra_env={
            "RECONCILE_INTERVAL_SECONDS": "3",
            "BROKER_HEARTBEAT_TIMEOUT_SECONDS": "3",
            "BROKER_MAINTENANCE_CHANCE": "200000",
        },
    )
    stack.start()
    try:
        # The command killed once its customers are on their way.
        first = _cli(stack, key, files, tmp_path / "first.jsonl")
        wait_until(lambda: _imports(pg) >= 1, 60, "the customers import to start")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        # Workers killed mid-job, and Stripe losing answers after doing the work.
        wait_until(lambda: len(stripe_client.v1.customers.list({"limit": 5}).data) >= 5, 120)
        stack.kill_workers()
        # Killed mid-way, or the test would prove nothing about resuming.
        assert len(stripe_client.v1.customers.list({"limit": 100}).data) < count
        stripe_server.fail_next(500, 10, after_execution=True)
        stack.start_worker()
        # Run again to the end; workers killed again while subscriptions reach Stripe.
        second = _cli(stack, key, files, tmp_path / "second.jsonl")
        wait_until(lambda: _billed(pg) >= 5, 180, f"subscriptions in Stripe (logs {stack.logs})")
        stack.kill_workers()
        assert _billed(pg) < count
        stripe_server.fail_next(500, 10, after_execution=True)
        stack.start_worker()
        assert second.wait(timeout=240) == 0
        wait_until(lambda: settled(pg), 240, f"the sync to settle (logs in {stack.logs})")
        conflicts = [r for r in stripe_server.api.requests if r.get("error") == "idempotency_error"]
        assert conflicts == []
        customers = [f"c-{n:03d}" for n in range(count)]
        assert_billed_once(pg, stripe_client, customers)
        remote = list(stripe_client.v1.customers.list({"limit": 100}).auto_paging_iter())
        assert len(remote) == count
        # And once more: nothing left to do.
        third = _cli(stack, key, files, tmp_path / "third.jsonl")
        assert third.wait(timeout=120) == 0
        assert _outcomes(tmp_path / "third.jsonl") == {"UNCHANGED": 2 * count}
        assert (
            len(list(stripe_client.v1.customers.list({"limit": 100}).auto_paging_iter())) == count
        )
    finally:
        stack.stop()
