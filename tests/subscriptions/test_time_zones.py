"""An instant written with a UTC offset is the same instant written in UTC: the same
first billing period, the same anchor, the same estimate."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from app import clock
from app.models import Environment
from app.pricing.estimates import estimate_subscription
from tests.subscriptions.factories import customer, provision

# 2026-01-31T01:00Z: a month-end clamp lands on a different day if the local date is used.
WITH_OFFSET = "2026-01-30T20:00:00-05:00"
IN_UTC = "2026-01-31T01:00:00Z"
INSTANT = datetime(2026, 1, 31, 1, 0, tzinfo=UTC)
ITEMS = {"planId": "basic", "billingPeriod": "MONTHLY"}


@pytest.fixture
def two_customers(world: Session, environment: Environment, frozen: clock.FrozenClock) -> Session:
    frozen.set(datetime(2026, 1, 20, tzinfo=UTC))
    customer(world, environment, "c-2")
    return world


def _periods(world: Session, environment: Environment, customer_id: str, start: str) -> tuple:
    sub = provision(
        world,
        environment,
        customerId=customer_id,
        planId="basic",
        billingPeriod="MONTHLY",
        startDate=start,
    )
    return (
        sub.start_date,
        sub.billing_cycle_anchor,
        sub.current_billing_period_start,
        sub.current_billing_period_end,
    )


def test_a_start_date_with_an_offset_gives_the_first_period_of_the_same_instant_in_utc(
    two_customers: Session, environment: Environment
) -> None:
    with_offset = _periods(two_customers, environment, "c-1", WITH_OFFSET)
    in_utc = _periods(two_customers, environment, "c-2", IN_UTC)
    assert with_offset == in_utc
    assert with_offset[2:] == (INSTANT, datetime(2026, 2, 28, 1, 0, tzinfo=UTC))
    assert all(moment.tzinfo is UTC for moment in with_offset)


def test_an_estimate_with_an_offset_start_is_the_estimate_of_the_instant_in_utc(
    two_customers: Session, environment: Environment
) -> None:
    def estimate(start: str) -> tuple[datetime, datetime]:
        found = estimate_subscription(
            two_customers,
            environment,
            {
                "customerId": "c-1",
                "planId": "basic",
                "billingPeriod": "MONTHLY",
                "startDate": start,
            },
        )
        return found.period_start, found.period_end

    assert (
        estimate(WITH_OFFSET)
        == estimate(IN_UTC)
        == (
            INSTANT,
            datetime(2026, 2, 28, 1, 0, tzinfo=UTC),
        )
    )
