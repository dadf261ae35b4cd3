"""Update, cancel and migrate, and the transitions the clock drives."""

from __future__ import annotations

from copy import deepcopy
from datetime import timedelta

import pytest
from sqlmodel import Session

from app import clock
from app.catalog import reads as catalog_reads
from app.errors import AppError
from app.models import Environment, Package
from app.subscriptions import repository, service
from app.subscriptions.transitions import run_due
from tests.subscriptions.factories import T0, apply, catalog_data, customer, provision, states


def update(session: Session, environment: Environment, **fields: object):  # type: ignore[no-untyped-def]
    sub = service.update_subscription(session, environment, fields)
    session.commit()
    return sub


def cancel(session: Session, environment: Environment, ref: str, when: str, **extra: object):  # type: ignore[no-untyped-def]
    sub = service.cancel_subscription(
        session,
        environment,
        {"subscriptionRefId": ref, "subscriptionCancellationTime": when, **extra},
    )
    session.commit()
    return sub


def test_update_changes_quantities_and_addons(world: Session, environment: Environment) -> None:
    sub = provision(
        world, environment, planId="pro", billingPeriod="MONTHLY", unitQuantity=2, skipTrial=True
    )
    update(
        world,
        environment,
        subscriptionId=sub.ref_id,
        billableFeatures=[{"featureId": "seats", "quantity": 7}],
        addons=[{"addonId": "extra", "quantity": 2}],
        additionalMetaData={"k": "v"},
    )
    totals = service.view(world, sub).totals
    assert totals is not None
    assert totals.sub_total == 20 + 7 * 5 + 2 * 4
    assert sub.additional_metadata == {"k": "v"}


def test_update_of_billing_period_restarts_the_cycle(
    world: Session, environment: Environment, frozen: clock.FrozenClock
) -> None:
    sub = provision(world, environment, planId="basic", billingPeriod="MONTHLY")
    frozen.advance(timedelta(days=10))
    update(world, environment, subscriptionId=sub.ref_id, billingPeriod="ANNUALLY")
    assert sub.current_billing_period_start == T0 + timedelta(days=10)
    assert sub.current_billing_period_end.year == 2025


def test_bad_update_changes_nothing(world: Session, environment: Environment) -> None:
    sub = provision(
        world,
        environment,
        planId="basic",
        billingPeriod="MONTHLY",
        addons=[{"addonId": "extra", "quantity": 1}],
    )
    with pytest.raises(AppError) as raised:
        service.update_subscription(
            world,
            environment,
            {"subscriptionId": sub.ref_id, "addons": [{"addonId": "extra", "quantity": 9}]},
        )
    world.rollback()
    assert raised.value.code == "INVALID_QUANTITY"
    assert [a.quantity for a in repository.addons_of(world, sub.id)] == [1]


def test_immediate_cancellation_falls_back_to_the_free_plan(
    world: Session, environment: Environment
) -> None:
    sub = provision(world, environment, planId="basic", billingPeriod="MONTHLY")
    cancelled = cancel(world, environment, sub.ref_id, "IMMEDIATE")
    assert (cancelled.status, cancelled.end_date, cancelled.cancellation_date) == (
        "CANCELED",
        T0,
        T0,
    )
    assert states(world) == [("basic", "CANCELED", False), ("free", "ACTIVE", False)]


def test_end_of_period_cancellation_waits_for_the_period_end(
    world: Session, environment: Environment, frozen: clock.FrozenClock
) -> None:
    sub = provision(world, environment, planId="basic", billingPeriod="MONTHLY")
    cancelled = cancel(world, environment, sub.ref_id, "END_OF_BILLING_PERIOD")
    assert cancelled.status == "ACTIVE"
    assert cancelled.effective_end_date == sub.current_billing_period_end
    frozen.set(sub.current_billing_period_end - timedelta(seconds=1))
    run_due()
    assert states(world)[0][1] == "ACTIVE"
    frozen.advance(timedelta(seconds=1))
    run_due()
    assert states(world) == [("basic", "CANCELED", False), ("free", "ACTIVE", False)]


def test_specific_date_cancellation(
    world: Session, environment: Environment, frozen: clock.FrozenClock
) -> None:
    sub = provision(world, environment, planId="basic", billingPeriod="MONTHLY")
    end = T0 + timedelta(days=3)
    cancel(world, environment, sub.ref_id, "SPECIFIC_DATE", endDate=end.isoformat())
    frozen.set(end)
    run_due()
    world.refresh(sub)
    assert (sub.status, sub.end_date) == ("CANCELED", end)


def test_specific_date_in_the_past_is_refused(world: Session, environment: Environment) -> None:
    sub = provision(world, environment, planId="basic", billingPeriod="MONTHLY")
    with pytest.raises(AppError) as raised:
        cancel(
            world,
            environment,
            sub.ref_id,
            "SPECIFIC_DATE",
            endDate=(T0 - timedelta(days=1)).isoformat(),
        )
    assert raised.value.code == "INVALID_DATE"


def test_cancelling_the_fallback_plan_leaves_nothing(
    world: Session, environment: Environment
) -> None:
    sub = provision(world, environment, planId="free")
    cancel(world, environment, sub.ref_id, "IMMEDIATE")
    assert states(world) == [("free", "CANCELED", False)]


def test_billing_period_rolls_over_monthly_from_the_anchor(
    world: Session, environment: Environment, frozen: clock.FrozenClock
) -> None:
    sub = provision(world, environment, planId="basic", billingPeriod="MONTHLY")
    # Anchored on Jan 31: Feb 29 (2024 is a leap year), then back to Mar 31.
    assert sub.current_billing_period_end == T0.replace(month=2, day=29)
    frozen.set(T0.replace(month=3, day=1))
    run_due()
    world.refresh(sub)
    assert (sub.current_billing_period_start, sub.current_billing_period_end) == (
        T0.replace(month=2, day=29),
        T0.replace(month=3, day=31),
    )


def _new_basic_price(session: Session, environment: Environment) -> None:
    data = deepcopy(catalog_data())
    basic = next(p for p in data["plans"] if p["id"] == "basic")
    basic["prices"][0]["amount"] = "12"
    apply(session, environment, data)


def test_catalog_change_keeps_the_version_until_migrated(
    world: Session, environment: Environment
) -> None:
    sub = provision(world, environment, planId="basic", billingPeriod="MONTHLY")
    _new_basic_price(world, environment)
    assert service.view(world, sub).totals.total == 10  # type: ignore[union-attr]
    service.migrate_subscription(
        world, environment, {"subscriptionId": sub.ref_id, "subscriptionMigrationTime": "IMMEDIATE"}
    )
    world.commit()
    plan = world.get(Package, sub.plan_id)
    assert plan is not None and plan.version_number == 2
    assert service.view(world, sub).totals.total == 12  # type: ignore[union-attr]


def test_a_provision_sees_an_apply_another_process_committed(
    world: Session, environment: Environment
) -> None:
    """A provision prices from the catalog's read copies, but reads the catalog's
    version in its own transaction: copies this process still holds from before another
    process's apply (it dropped none) are not used."""
    provision(world, environment, planId="basic", billingPeriod="MONTHLY")
    held = catalog_reads._current[environment.id]
    # The environment as a cached API key would still hold it: from before the apply.
    stale = Environment(**environment.model_dump())
    _new_basic_price(world, environment)
    # As if the apply had been made by another process, without Redis to tell this one.
    catalog_reads._current[environment.id] = held
    customer(world, environment, "c-2")
    assert stale.catalog_version < environment.catalog_version

    sub = provision(world, stale, customerId="c-2", planId="basic", billingPeriod="MONTHLY")

    plan = world.get(Package, sub.plan_id)
    assert plan is not None and plan.version_number == 2
    assert service.view(world, sub).totals.total == 12  # type: ignore[union-attr]


def test_a_provision_with_items_marks_only_its_customer_changed(
    world: Session, environment: Environment
) -> None:
    """Its addon and per-unit rows are known to be its customer's: the commit drops that
    customer's cached entitlements, not every cache of the process (and of the others)."""
    provision(world, environment, planId="basic", billingPeriod="MONTHLY")
    assert environment.id in catalog_reads._current
    customer(world, environment, "c-2")

    sub = provision(
        world,
        environment,
        customerId="c-2",
        planId="pro",
        billingPeriod="MONTHLY",
        billableFeatures=[{"featureId": "seats", "quantity": 3}],
        addons=[{"addonId": "extra", "quantity": 1}],
    )

    assert repository.items_of(world, sub.id).addons
    assert environment.id in catalog_reads._current


def test_migration_at_period_end_is_scheduled(
    world: Session, environment: Environment, frozen: clock.FrozenClock
) -> None:
    sub = provision(world, environment, planId="basic", billingPeriod="MONTHLY")
    _new_basic_price(world, environment)
    service.migrate_subscription(
        world,
        environment,
        {"subscriptionId": sub.ref_id, "subscriptionMigrationTime": "END_OF_BILLING_PERIOD"},
    )
    world.commit()
    assert world.get(Package, sub.plan_id).version_number == 1  # type: ignore[union-attr]
    frozen.set(sub.current_billing_period_end)
    run_due()
    world.refresh(sub)
    assert world.get(Package, sub.plan_id).version_number == 2  # type: ignore[union-attr]
    assert sub.migrate_at is None


def test_run_due_applies_each_transition_once(
    world: Session, environment: Environment, frozen: clock.FrozenClock
) -> None:
    provision(world, environment, planId="pro", billingPeriod="MONTHLY", unitQuantity=1)
    frozen.advance(timedelta(days=14))
    assert run_due() == 1
    assert run_due() == 0


def test_active_subscriptions_lists_live_ones(world: Session, environment: Environment) -> None:
    provision(world, environment, planId="basic", billingPeriod="MONTHLY")
    provision(world, environment, planId="pro", billingPeriod="MONTHLY", unitQuantity=1)
    provision(world, environment, planId="site", billingPeriod="MONTHLY", resourceId="s1")
    listed = service.active_subscriptions(world, environment, "c-1", None)
    assert len(listed) == 3
    assert len(service.active_subscriptions(world, environment, "c-1", "s1")) == 1


def test_cancelling_a_scheduled_replacement_keeps_the_current_subscription(
    world: Session, environment: Environment, frozen: clock.FrozenClock
) -> None:
    current = provision(world, environment, planId="basic", billingPeriod="MONTHLY")
    later = provision(
        world, environment, planId="free", startDate=(T0 + timedelta(days=10)).isoformat()
    )
    cancel(world, environment, later.ref_id, "IMMEDIATE")
    world.refresh(current)
    assert current.effective_end_date is None
    frozen.advance(timedelta(days=11))
    run_due()
    assert states(world) == [("basic", "ACTIVE", False), ("free", "CANCELED", False)]


def test_a_converting_trial_keeps_running_when_it_replaces_the_scheduled_paid_plan(
    world: Session, environment: Environment, frozen: clock.FrozenClock
) -> None:
    provision(world, environment, planId="basic", billingPeriod="MONTHLY")
    provision(world, environment, planId="pro", billingPeriod="MONTHLY", unitQuantity=1)
    provision(
        world,
        environment,
        planId="pro",
        billingPeriod="MONTHLY",
        unitQuantity=1,
        startDate=(T0 + timedelta(days=20)).isoformat(),
    )
    frozen.advance(timedelta(days=25))
    run_due()
    live = [s for s in states(world) if s[1] == "ACTIVE"]
    assert live == [("pro", "ACTIVE", False)]
