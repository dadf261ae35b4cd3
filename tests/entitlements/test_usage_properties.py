"""Usage reports against a simple model, and concurrent increments, on every database."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session

from app import db
from app.entitlements import service
from app.entitlements.usage import UsageReport
from app.models import Environment
from app.models.entitlements import UsageUpdateBehavior
from tests.entitlements.factories import check, customer, subscribe

_customers = itertools.count()

# One report: (behaviour, value, idempotency key or None). Few keys, so repeats happen.
reports = st.lists(
    st.tuples(
        st.sampled_from([UsageUpdateBehavior.DELTA, UsageUpdateBehavior.SET]),
        st.integers(min_value=-50, max_value=50),
        st.one_of(st.none(), st.sampled_from(["a", "b", "c"])),
    ),
    max_size=12,
)


def model(sequence: list[tuple[UsageUpdateBehavior, int, str | None]]) -> int:
    """What the usage must be: keys already seen change nothing."""
    usage, seen = 0, set()
    for behavior, value, key in sequence:
        if key is not None and key in seen:
            continue
        if key is not None:
            seen.add(key)
        if behavior is UsageUpdateBehavior.SET:
            usage = max(value, 0)
        else:
            usage += value
    return usage


@pytest.fixture
def catalog(session: Session, catalog_applied: None) -> Session:
    """The example catalog: templates (a current count) and campaigns (counted up)."""
    return session


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sequence=reports)
def test_any_sequence_of_reports_ends_where_the_model_does(
    catalog: Session,
    environment: Environment,
    sequence: list[tuple[UsageUpdateBehavior, int, str | None]],
) -> None:
    customer_id = f"p-{next(_customers)}"
    customer(catalog, environment, customer_id)
    subscribe(catalog, environment, "plan-revvenu-free", customer_id)
    for behavior, value, key in sequence:
        # SET takes a count (>= 0); the model clamps the same way the input refuses.
        amount = max(value, 0) if behavior is UsageUpdateBehavior.SET else value
        service.report_usage(
            catalog,
            environment,
            [
                UsageReport(
                    customer_id,
                    "feature-01-templates",
                    Decimal(amount),
                    behavior=behavior,
                    idempotency_key=key,
                )
            ],
        )
        catalog.commit()
    assert check(catalog, environment, "feature-01-templates", customer_id).current_usage == model(
        sequence
    )


@pytest.fixture
def shared(engine: Engine) -> Iterator[Engine]:
    """The test database as the process's engine, for calls from several threads."""
    db.set_engine(engine)
    try:
        yield engine
    finally:
        db.set_engine(None)


def test_fifty_concurrent_increments_all_land(
    catalog: Session, environment: Environment, shared: Engine
) -> None:
    customer(catalog, environment)
    subscribe(catalog, environment, "plan-revvenu-free")

    def one(index: int) -> None:
        db.in_transaction(
            lambda session: service.report_usage(
                session, environment, [UsageReport("c-1", "feature-02-campaigns", Decimal(1))]
            ),
            attempts=20,
        )

    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(one, range(50)))

    assert check(catalog, environment, "feature-02-campaigns").current_usage == 50


def test_concurrent_repeats_of_one_key_count_once(
    catalog: Session, environment: Environment, shared: Engine
) -> None:
    customer(catalog, environment)
    subscribe(catalog, environment, "plan-revvenu-free")

    def one(index: int) -> Decimal | None:
        (measured,) = db.in_transaction(
            lambda session: service.report_usage(
                session,
                environment,
                [UsageReport("c-1", "feature-02-campaigns", Decimal(3), idempotency_key="same")],
            ),
            attempts=20,
        )
        return measured.row.current_usage

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(one, range(16)))

    assert set(answers) == {Decimal(3)}
    assert check(catalog, environment, "feature-02-campaigns").current_usage == 3
