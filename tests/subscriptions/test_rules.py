"""The platform's rules for who holds which plan of a product, one test each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from app import clock
from app.models import Environment
from app.subscriptions.errors import MultipleSubscriptionsNotAllowed
from app.subscriptions.transitions import run_due
from tests.subscriptions.factories import T0, customer, provision, states


def test_paid_subscription_starts_at_once_without_billing(
    world: Session, environment: Environment
) -> None:
    sub = provision(world, environment, planId="basic", billingPeriod="MONTHLY")
    assert sub.status == "ACTIVE"
    assert sub.start_date == T0
    assert (
        sub.ref_id.startswith("subscription-basic-")
        and len(sub.ref_id) == len("subscription-basic-") + 6
    )


def test_non_trial_and_trial_of_another_plan_coexist(
    world: Session, environment: Environment
) -> None:
    provision(world, environment, planId="basic", billingPeriod="MONTHLY")
    provision(
        world,
        environment,
        planId="pro",
        billingPeriod="MONTHLY",
        billableFeatures=[{"featureId": "seats", "quantity": 2}],
    )
    assert states(world) == [("basic", "ACTIVE", False), ("pro", "IN_TRIAL", True)]


def test_subscribing_to_the_trialled_plan_makes_it_paid(
    world: Session, environment: Environment
) -> None:
    provision(world, environment, planId="basic", billingPeriod="MONTHLY")
    provision(world, environment, planId="pro", billingPeriod="MONTHLY", unitQuantity=2)
    provision(world, environment, planId="pro", billingPeriod="MONTHLY", unitQuantity=3)
    assert states(world) == [
        ("basic", "CANCELED", False),
        ("pro", "CANCELED", True),
        ("pro", "ACTIVE", False),
    ]


def test_new_subscription_replaces_the_one_held(world: Session, environment: Environment) -> None:
    old = provision(world, environment, planId="free")
    new = provision(world, environment, planId="basic", billingPeriod="MONTHLY")
    assert states(world) == [("free", "CANCELED", False), ("basic", "ACTIVE", False)]
    world.refresh(old)
    assert old.end_date == new.start_date == T0


def test_future_start_keeps_the_old_one_until_then(
    world: Session, environment: Environment, frozen: clock.FrozenClock
) -> None:
    provision(world, environment, planId="free")
    later = T0 + timedelta(days=10)
    provision(
        world, environment, planId="basic", billingPeriod="MONTHLY", startDate=later.isoformat()
    )
    assert states(world) == [("free", "ACTIVE", False), ("basic", "NOT_STARTED", False)]
    frozen.set(later)
    run_due()
    assert states(world) == [("free", "CANCELED", False), ("basic", "ACTIVE", False)]


def test_resource_id_separates_subscriptions_of_a_multi_product(
    world: Session, environment: Environment
) -> None:
    provision(world, environment, planId="site", billingPeriod="MONTHLY", resourceId="site-a")
    provision(world, environment, planId="site", billingPeriod="MONTHLY", resourceId="site-b")
    provision(world, environment, planId="site", billingPeriod="MONTHLY", resourceId="site-a")
    assert [s[1] for s in states(world)] == ["CANCELED", "ACTIVE", "ACTIVE"]


def test_resource_id_is_refused_for_a_single_subscription_product(
    world: Session, environment: Environment
) -> None:
    with pytest.raises(MultipleSubscriptionsNotAllowed):
        provision(world, environment, planId="basic", billingPeriod="MONTHLY", resourceId="x")
    world.rollback()
    assert states(world) == []


def test_skip_trial_starts_paid(world: Session, environment: Environment) -> None:
    sub = provision(
        world, environment, planId="pro", billingPeriod="MONTHLY", unitQuantity=1, skipTrial=True
    )
    assert (sub.status, sub.is_trial, sub.trial_end_date) == ("ACTIVE", False, None)


def test_trial_is_given_once_per_plan(world: Session, environment: Environment) -> None:
    provision(world, environment, planId="pro", billingPeriod="MONTHLY", unitQuantity=1)
    provision(world, environment, planId="basic", billingPeriod="MONTHLY")
    provision(world, environment, planId="free")
    again = provision(world, environment, planId="pro", billingPeriod="MONTHLY", unitQuantity=1)
    assert again.is_trial is False


def test_trial_end_converts_to_paid(
    world: Session, environment: Environment, frozen: clock.FrozenClock
) -> None:
    sub = provision(world, environment, planId="pro", billingPeriod="MONTHLY", unitQuantity=1)
    assert sub.trial_end_date == T0 + timedelta(days=14)
    frozen.advance(timedelta(days=14))
    assert run_due() == 1
    world.refresh(sub)
    assert (sub.status, sub.is_trial, sub.was_in_trial) == ("ACTIVE", False, True)
    assert sub.current_billing_period_start == T0 + timedelta(days=14)


def test_converted_trial_replaces_the_paid_plan_it_was_trialled_beside(
    world: Session, environment: Environment, frozen: clock.FrozenClock
) -> None:
    provision(world, environment, planId="basic", billingPeriod="MONTHLY")
    provision(world, environment, planId="pro", billingPeriod="MONTHLY", unitQuantity=1)
    frozen.advance(timedelta(days=15))
    run_due()
    assert states(world) == [("basic", "CANCELED", False), ("pro", "ACTIVE", False)]


def test_trial_end_cancels_and_falls_back_when_the_plan_says_so(
    world: Session, environment: Environment, frozen: clock.FrozenClock
) -> None:
    provision(world, environment, planId="enterprise", billingPeriod="MONTHLY")
    frozen.advance(timedelta(days=7))
    run_due()
    assert states(world) == [("enterprise", "EXPIRED", True), ("free", "ACTIVE", False)]


def test_trial_override_sets_the_end_and_behaviour(
    world: Session, environment: Environment
) -> None:
    end = T0 + timedelta(days=3)
    sub = provision(
        world,
        environment,
        planId="basic",
        billingPeriod="MONTHLY",
        trialOverrideConfiguration={
            "isTrial": True,
            "trialEndDate": end.isoformat(),
            "trialEndBehavior": "CANCEL_SUBSCRIPTION",
        },
    )
    assert (sub.status, sub.trial_end_date, sub.trial_end_behavior) == (
        "IN_TRIAL",
        end,
        "CANCEL_SUBSCRIPTION",
    )


def test_backdated_start_counts_periods_from_the_start(
    world: Session, environment: Environment
) -> None:
    start = T0 - timedelta(days=45)
    sub = provision(
        world, environment, planId="basic", billingPeriod="MONTHLY", startDate=start.isoformat()
    )
    assert sub.status == "ACTIVE"
    assert sub.start_date == start
    assert sub.current_billing_period_start <= T0 < sub.current_billing_period_end


def test_country_price_is_used_for_the_billing_country(
    world: Session, environment: Environment
) -> None:
    from app.subscriptions.service import view

    sub = provision(
        world,
        environment,
        planId="pro",
        billingPeriod="MONTHLY",
        unitQuantity=2,
        billingCountryCode="DK",
        skipTrial=True,
    )
    shown = view(world, sub)
    assert shown.totals is not None
    assert (shown.totals.currency, shown.totals.total) == ("DKK", 150 + 2 * 35)


def test_customers_are_independent(world: Session, environment: Environment) -> None:
    customer(world, environment, "c-2")
    provision(world, environment, planId="basic", billingPeriod="MONTHLY")
    provision(world, environment, planId="basic", billingPeriod="MONTHLY", customerId="c-2")
    assert states(world) == [("basic", "ACTIVE", False)]
    assert states(world, "c-2") == [("basic", "ACTIVE", False)]
