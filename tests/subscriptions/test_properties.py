"""Properties of random sequences of provision, update, cancel, migrate and time passing.

After every step, on every database:
(a) a customer holds at most one non-trial and one trial LIVE subscription per product
    and resource;
(b) a refused call (AppError) leaves the subscription tables exactly as they were;
(c) no subscription ends before it starts, and every LIVE subscription's current billing
    period contains now;
(d) ``active_slot`` is set exactly on LIVE subscriptions, to their slot.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, Table
from sqlmodel import Session, col, select

from app import clock
from app.catalog.schemas import parse_catalog
from app.catalog.service import apply_catalog
from app.customers.service import provision_customer
from app.db import unit_of_work
from app.errors import AppError
from app.models import Environment, Subscription, SubscriptionAddon, SubscriptionFeatureQuantity
from app.models.subscriptions import LIVE_STATUSES
from app.subscriptions import repository, service
from app.subscriptions.lifecycle import slot_key
from app.subscriptions.transitions import run_due
from tests.subscriptions.factories import T0, catalog_data

CUSTOMERS = ("c-1", "c-2")
LIVE = {s.value for s in LIVE_STATUSES}
TABLES: tuple[Table, ...] = (
    Subscription.__table__,  # type: ignore[attr-defined]
    SubscriptionAddon.__table__,  # type: ignore[attr-defined]
    SubscriptionFeatureQuantity.__table__,  # type: ignore[attr-defined]
)
# Every repricing publishes a new version: no two of them share an amount.
_amounts = itertools.count(1000)

Snapshot = dict[str, list[tuple[Any, ...]]]


@dataclass(frozen=True)
class Provision:
    plan: str
    customer: str = "c-1"
    billing_period: str | None = None
    resource_id: str | None = None
    skip_trial: bool = False
    unit_quantity: int | None = None
    addons: tuple[tuple[str, int], ...] | None = None
    starts_in_hours: int | None = None


@dataclass(frozen=True)
class Update:
    target: int | None  # index into the example's subscriptions, oldest first; None: unknown
    billing_period: str | None
    unit_quantity: int | None
    addons: tuple[tuple[str, int], ...] | None


@dataclass(frozen=True)
class Cancel:
    target: int | None
    when: str
    end_in_hours: int | None = None


@dataclass(frozen=True)
class Migrate:
    target: int | None
    change: str | None  # the catalog change applied first, if any
    when: str


@dataclass(frozen=True)
class Advance:
    hours: int


Operation = Provision | Update | Cancel | Migrate | Advance

_periods = st.sampled_from(["MONTHLY", "MONTHLY", "MONTHLY", "ANNUALLY", "WEEKLY", None])
_addons = st.none() | st.lists(
    st.tuples(st.sampled_from(["extra", "extra", "extra", "loose", "nope"]), st.integers(-1, 4)),
    min_size=0,
    max_size=2,
).map(tuple)
_targets = st.integers(0, 8).map(lambda i: None if i == 8 else i)
# What each plan is sold with; a provision strays from it now and then.
_VALID_PERIODS: dict[str, list[str | None]] = {
    "free": [None],
    "basic": ["MONTHLY", "ANNUALLY"],
    "pro": ["MONTHLY"],
    "enterprise": ["MONTHLY"],
    "site": ["MONTHLY"],
}


def _sometimes(draw: st.DrawFn) -> bool:
    return draw(st.integers(0, 5)) == 0


@st.composite
def _provisions(draw: st.DrawFn) -> Provision:
    plan = draw(st.sampled_from(["free", "basic", "pro", "enterprise", "site"]))
    period = draw(st.sampled_from(_VALID_PERIODS[plan]))
    if _sometimes(draw):
        period = draw(_periods)
    if plan == "site":
        resource = draw(st.sampled_from([None, "site-a", "site-b"]))
    else:
        resource = "site-a" if _sometimes(draw) else None
    quantity = draw(st.sampled_from([1, 2, 5])) if plan == "pro" else None
    if _sometimes(draw):
        quantity = draw(st.sampled_from([None, 0, 1, 100, 101]))
    addons: tuple[tuple[str, int], ...] | None = None
    if plan in ("basic", "pro") and draw(st.booleans()):
        addons = (("extra", draw(st.integers(1, 3))),)
    if _sometimes(draw):
        addons = draw(_addons)
    return Provision(
        customer=draw(st.sampled_from(CUSTOMERS)),
        plan=plan,
        billing_period=period,
        resource_id=resource,
        skip_trial=draw(st.booleans()),
        unit_quantity=quantity,
        addons=addons,
        starts_in_hours=draw(st.sampled_from([None, None, None, 1, 24, 24 * 10, 24 * 20])),
    )


_operations = st.one_of(
    _provisions(),
    _provisions(),
    st.builds(
        Update,
        target=_targets,
        billing_period=st.sampled_from([None, None, None, "MONTHLY", "ANNUALLY", "WEEKLY"]),
        unit_quantity=st.sampled_from([None, None, None, None, 1, 3, 0, 101]),
        addons=_addons,
    ),
    st.builds(
        Cancel,
        target=_targets,
        when=st.sampled_from(["IMMEDIATE", "END_OF_BILLING_PERIOD", "SPECIFIC_DATE"]),
        end_in_hours=st.none() | st.integers(-24, 24 * 40),
    ),
    st.builds(
        Migrate,
        target=_targets,
        change=st.sampled_from(
            [None, "free", "basic", "pro", "enterprise", "site", "extra", "annual", "max"]
        ),
        when=st.sampled_from(["IMMEDIATE", "END_OF_BILLING_PERIOD"]),
    ),
    st.builds(Advance, hours=st.integers(1, 40 * 24)),
)


def _change(catalog: dict[str, Any], change: str) -> None:
    """A catalog edit that publishes a new version of one package."""
    packages = {p["id"]: p for p in catalog["plans"] + catalog["addons"]}
    if change == "annual":  # basic is no longer sold yearly
        basic = packages["basic"]
        basic["prices"] = [p for p in basic["prices"] if p["billingPeriod"] == "MONTHLY"]
    elif change == "max":  # at most 2 of the extra addon
        packages["extra"]["maxQuantity"] = 2
    elif change == "free":
        packages["free"]["displayName"] = f"Free {next(_amounts)}"
    else:
        packages[change]["prices"][0]["amount"] = str(next(_amounts))


def _apply(engine: Engine, environment: Environment, catalog: dict[str, Any]) -> None:
    with unit_of_work(engine) as s:
        apply_catalog(s, environment, parse_catalog(catalog))


def _subscriptions(engine: Engine) -> list[Subscription]:
    with Session(engine) as s:
        query = select(Subscription).order_by(col(Subscription.created_at), col(Subscription.id))
        return list(s.exec(query))


def _snapshot(engine: Engine) -> Snapshot:
    with engine.connect() as connection:
        return {
            table.name: [tuple(row) for row in connection.execute(table.select().order_by("id"))]
            for table in TABLES
        }


def _ref(engine: Engine, target: int | None) -> str:
    subscriptions = _subscriptions(engine)
    if target is None or not subscriptions:
        return "subscription-unknown"
    return subscriptions[target % len(subscriptions)].ref_id


def _at(hours: int | None) -> str | None:
    return None if hours is None else (clock.now() + timedelta(hours=hours)).isoformat()


def _provision_input(op: Provision) -> dict[str, Any]:
    data: dict[str, Any] = {"customerId": op.customer, "planId": op.plan}
    if op.billing_period is not None:
        data["billingPeriod"] = op.billing_period
    if op.resource_id is not None:
        data["resourceId"] = op.resource_id
    if op.skip_trial:
        data["skipTrial"] = True
    if op.unit_quantity is not None:
        data["unitQuantity"] = op.unit_quantity
    if op.addons is not None:
        data["addons"] = [{"addonId": ref, "quantity": qty} for ref, qty in op.addons]
    if op.starts_in_hours is not None:
        data["startDate"] = _at(op.starts_in_hours)
    return data


def _update_input(ref: str, op: Update) -> dict[str, Any]:
    data: dict[str, Any] = {"subscriptionId": ref}
    if op.billing_period is not None:
        data["billingPeriod"] = op.billing_period
    if op.unit_quantity is not None:
        data["unitQuantity"] = op.unit_quantity
    if op.addons is not None:
        data["addons"] = [{"addonId": ref_id, "quantity": qty} for ref_id, qty in op.addons]
    return data


def _cancel_input(ref: str, op: Cancel) -> dict[str, Any]:
    data: dict[str, Any] = {"subscriptionRefId": ref, "subscriptionCancellationTime": op.when}
    if op.when == "SPECIFIC_DATE" and op.end_in_hours is not None:
        data["endDate"] = _at(op.end_in_hours)
    return data


def _call(engine: Engine, environment: Environment, op: Operation) -> None:
    """Run one service call in its own unit of work; AppError propagates after rollback."""
    if isinstance(op, Provision):
        data = _provision_input(op)
        with unit_of_work(engine) as s:
            service.provision_subscription(s, environment, data)
    elif isinstance(op, Update):
        data = _update_input(_ref(engine, op.target), op)
        with unit_of_work(engine) as s:
            service.update_subscription(s, environment, data)
    elif isinstance(op, Cancel):
        data = _cancel_input(_ref(engine, op.target), op)
        with unit_of_work(engine) as s:
            service.cancel_subscription(s, environment, data)
    elif isinstance(op, Migrate):
        data = {"subscriptionId": _ref(engine, op.target), "subscriptionMigrationTime": op.when}
        with unit_of_work(engine) as s:
            service.migrate_subscription(s, environment, data)


def _still_due(engine: Engine, now: datetime) -> list[str]:
    with Session(engine) as s:
        ids = repository.due_ids(s, now)
        return [sub.ref_id for i in ids if (sub := s.get(Subscription, i)) is not None]


def _check_invariants(engine: Engine, now: datetime) -> None:
    subscriptions = _subscriptions(engine)
    live = [s for s in subscriptions if s.status in LIVE]
    slots = Counter((s.customer_id, s.product_id, s.resource_id, s.is_trial) for s in live)
    crowded = {slot: n for slot, n in slots.items() if n > 1}
    assert not crowded, f"(a) several LIVE subscriptions in one slot: {crowded}"
    for s in subscriptions:
        where = f"{s.ref_id} ({s.status}, trial={s.is_trial})"
        assert s.end_date is None or s.end_date >= s.start_date, (
            f"(c) {where} ends {s.end_date} before it starts {s.start_date}"
        )
        if s.status in LIVE:
            assert s.current_billing_period_start <= now < s.current_billing_period_end, (
                f"(c) {where}: period [{s.current_billing_period_start}, "
                f"{s.current_billing_period_end}) does not contain {now}"
            )
            assert s.active_slot == slot_key(s), f"(d) {where} holds slot {s.active_slot!r}"
        else:
            assert s.active_slot is None, f"(d) {where} holds slot {s.active_slot!r}"


def _reset(engine: Engine, environment: Environment, frozen: clock.FrozenClock) -> None:
    """No subscriptions, the test catalog as the latest versions, and T0."""
    frozen.set(T0)
    with engine.begin() as connection:
        for table in reversed(TABLES):
            connection.execute(table.delete())
    _apply(engine, environment, catalog_data())


def _run(
    engine: Engine,
    environment: Environment,
    frozen: clock.FrozenClock,
    operations: list[Operation],
) -> None:
    """Apply ``operations`` in order, checking the invariants after each one."""
    _reset(engine, environment, frozen)
    catalog = catalog_data()
    for op in operations:
        if isinstance(op, Advance):
            frozen.advance(timedelta(hours=op.hours))
            run_due(engine)
            left = _still_due(engine, frozen())
            assert not left, f"(c) run_due left transitions due on {left}"
        else:
            if isinstance(op, Migrate) and op.change is not None:
                _change(catalog, op.change)
                _apply(engine, environment, catalog)
            before = _snapshot(engine)
            refused: AppError | None = None
            try:
                _call(engine, environment, op)
            except AppError as exc:
                refused = exc
            if currently_in_test_context():  # outcomes, for --hypothesis-show-statistics
                event(f"{type(op).__name__}: {refused.code if refused else 'ok'}")
            if refused is not None:
                assert _snapshot(engine) == before, (
                    f"(b) {type(refused).__name__} ({refused.code}) left changes behind"
                )
        _check_invariants(engine, frozen())


@pytest.fixture
def db_world(engine: Engine, environment: Environment, frozen: clock.FrozenClock) -> Engine:
    """The engine under test, with the test catalog and the customers of ``CUSTOMERS``."""
    _apply(engine, environment, catalog_data())
    with unit_of_work(engine) as s:
        for customer_id in CUSTOMERS:
            provision_customer(s, environment, {"customerId": customer_id})
    return engine


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(operations=st.lists(_operations, min_size=1, max_size=15))
def test_random_operations_keep_the_subscription_invariants(
    db_world: Engine,
    environment: Environment,
    frozen: clock.FrozenClock,
    operations: list[Operation],
) -> None:
    _run(db_world, environment, frozen, operations)


# Sequences the property above has failed on, kept as plain tests.


def test_replacing_a_subscription_before_it_starts_does_not_end_it_before_its_start(
    db_world: Engine, environment: Environment, frozen: clock.FrozenClock
) -> None:
    _run(
        db_world,
        environment,
        frozen,
        [Provision(plan="free", starts_in_hours=1), Provision(plan="free")],
    )


def test_cancelling_a_subscription_before_it_starts_does_not_end_it_before_its_start(
    db_world: Engine, environment: Environment, frozen: clock.FrozenClock
) -> None:
    _run(
        db_world,
        environment,
        frozen,
        [
            Provision(plan="basic", billing_period="MONTHLY", starts_in_hours=24),
            Cancel(target=0, when="IMMEDIATE"),
        ],
    )


def test_a_scheduled_migration_the_catalog_no_longer_allows_does_not_stop_run_due(
    db_world: Engine, environment: Environment, frozen: clock.FrozenClock
) -> None:
    _run(
        db_world,
        environment,
        frozen,
        [
            Provision(plan="basic", billing_period="MONTHLY", addons=(("extra", 3),)),
            Migrate(target=0, change="basic", when="END_OF_BILLING_PERIOD"),
            Migrate(target=0, change="max", when="END_OF_BILLING_PERIOD"),
            Advance(hours=30 * 24),
        ],
    )
