"""Two provisions for one customer and product at the same moment, on PostgreSQL.

Whatever the interleaving, the customer ends with exactly one non-trial LIVE
subscription of the product, and each call either succeeds or is refused with an
AppError that has its own code (never a raw database error).
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel, col, select

from app import db
from app.catalog.schemas import parse_catalog
from app.catalog.service import apply_catalog
from app.customers.service import provision_customer
from app.errors import AppError
from app.models import Customer, Environment, Product, Subscription
from app.models.subscriptions import LIVE_STATUSES
from app.subscriptions import service
from tests.subscriptions.factories import catalog_data

pytestmark = pytest.mark.postgres

ROUNDS = 20
LIVE = [status.value for status in LIVE_STATUSES]
PLANS: dict[str, dict[str, Any]] = {
    "free": {"planId": "free"},
    "basic": {"planId": "basic", "billingPeriod": "MONTHLY"},
    "pro": {"planId": "pro", "billingPeriod": "MONTHLY", "unitQuantity": 2},
}
PAIRS = [("basic", "free"), ("basic", "basic"), ("free", "free"), ("pro", "pro"), ("pro", "basic")]


@pytest.fixture
def pg(postgresql_engine: Engine) -> Iterator[Engine]:
    """PostgreSQL as the process's engine; the test leaves nothing behind."""
    db.set_engine(postgresql_engine)
    try:
        yield postgresql_engine
    finally:
        db.set_engine(None)
        names = ", ".join(f'"{t.name}"' for t in reversed(SQLModel.metadata.sorted_tables))
        with postgresql_engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def pg_environment(pg: Engine) -> Environment:
    with db.unit_of_work(pg) as s:
        environment = Environment(name="development")
        s.add(environment)
        s.flush()
        apply_catalog(s, environment, parse_catalog(catalog_data()))
    return environment


@dataclass
class Outcome:
    """What one thread's provision ended with."""

    error: AppError | None = None
    crash: str | None = None  # the traceback of anything but an AppError


def _provision(
    engine: Engine,
    environment: Environment,
    barrier: threading.Barrier,
    data: dict[str, Any],
) -> Outcome:
    outcome = Outcome()
    barrier.wait()
    try:
        with db.unit_of_work(engine) as s:
            service.provision_subscription(s, environment, data)
    except AppError as exc:
        outcome.error = exc
    except Exception:  # noqa: BLE001 - reported with its traceback below
        outcome.crash = traceback.format_exc()
    return outcome


def _live_non_trial(engine: Engine, environment: Environment, customer_id: str) -> list[str]:
    with Session(engine) as s:
        query = (
            select(Subscription.ref_id)
            .join(Customer, col(Customer.id) == col(Subscription.customer_id))
            .join(Product, col(Product.id) == col(Subscription.product_id))
            .where(
                Customer.environment_id == environment.id,
                Customer.customer_id == customer_id,
                Product.ref_id == "app",
                col(Subscription.status).in_(LIVE),
                col(Subscription.is_trial).is_(False),
            )
        )
        return list(s.exec(query))


@pytest.mark.parametrize(("first", "second"), PAIRS, ids=["-".join(p) for p in PAIRS])
def test_simultaneous_provisions_leave_one_live_subscription(
    pg: Engine, pg_environment: Environment, first: str, second: str
) -> None:
    customer_ids = [f"race-{first}-{second}-{n}" for n in range(ROUNDS)]
    with db.unit_of_work(pg) as s:
        for customer_id in customer_ids:
            provision_customer(s, pg_environment, {"customerId": customer_id})

    problems: list[str] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for customer_id in customer_ids:
            barrier = threading.Barrier(2, timeout=10)
            futures = [
                pool.submit(
                    _provision,
                    pg,
                    pg_environment,
                    barrier,
                    {"customerId": customer_id, **PLANS[plan]},
                )
                for plan in (first, second)
            ]
            for plan, future in zip((first, second), futures, strict=True):
                outcome = future.result(timeout=30)
                if outcome.crash is not None:
                    problems.append(f"{customer_id} {plan}: unexpected error\n{outcome.crash}")
                elif outcome.error is not None and outcome.error.code == AppError.code:
                    problems.append(f"{customer_id} {plan}: AppError without a code")
            live = _live_non_trial(pg, pg_environment, customer_id)
            if len(live) != 1:
                problems.append(f"{customer_id}: {len(live)} non-trial LIVE subscriptions {live}")

    assert not problems, "\n".join(problems)
