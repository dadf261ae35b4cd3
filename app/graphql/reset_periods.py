"""How an entitlement's usage resets, as clients send and see it.

Inputs carry one ``...ResetPeriodConfiguration`` per reset period; answers show the one
that applies as the ``ResetPeriodConfiguration`` union. Both map onto the domain's
single ``according_to`` value.
"""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types.unset import UNSET

from app.errors import ValidationFailed
from app.graphql.common import (
    EntitlementResetPeriod,
    MonthlyAccordingTo,
    WeeklyAccordingTo,
    YearlyAccordingTo,
)


@strawberry.type
class MonthlyResetPeriodConfig:
    monthly_according_to: MonthlyAccordingTo | None


@strawberry.type
class WeeklyResetPeriodConfig:
    weekly_according_to: WeeklyAccordingTo | None


@strawberry.type
class YearlyResetPeriodConfig:
    yearly_according_to: YearlyAccordingTo | None


ResetPeriodConfiguration = Annotated[
    MonthlyResetPeriodConfig | WeeklyResetPeriodConfig | YearlyResetPeriodConfig,
    strawberry.union("ResetPeriodConfiguration"),
]


@strawberry.input
class MonthlyResetPeriodConfigInput:
    according_to: MonthlyAccordingTo


@strawberry.input
class WeeklyResetPeriodConfigInput:
    according_to: WeeklyAccordingTo


@strawberry.input
class YearlyResetPeriodConfigInput:
    according_to: YearlyAccordingTo


def configuration(
    reset_period: str | None, according_to: str | None
) -> MonthlyResetPeriodConfig | WeeklyResetPeriodConfig | YearlyResetPeriodConfig | None:
    """The answer's ``resetPeriodConfiguration``: SubscriptionStart unless configured."""
    if reset_period == EntitlementResetPeriod.MONTH:
        return MonthlyResetPeriodConfig(
            monthly_according_to=MonthlyAccordingTo(
                according_to or MonthlyAccordingTo.SUBSCRIPTION_START
            )
        )
    if reset_period == EntitlementResetPeriod.WEEK:
        return WeeklyResetPeriodConfig(
            weekly_according_to=WeeklyAccordingTo(
                according_to or WeeklyAccordingTo.SUBSCRIPTION_START
            )
        )
    if reset_period == EntitlementResetPeriod.YEAR:
        return YearlyResetPeriodConfig(
            yearly_according_to=YearlyAccordingTo(
                according_to or YearlyAccordingTo.SUBSCRIPTION_START
            )
        )
    return None


def according_to(
    reset_period: EntitlementResetPeriod | None,
    monthly: MonthlyResetPeriodConfigInput | None,
    weekly: WeeklyResetPeriodConfigInput | None,
    yearly: YearlyResetPeriodConfigInput | None,
    *,
    field: str,
) -> str | None:
    """The one configuration that fits ``reset_period``; any other is refused by name."""
    given = {
        EntitlementResetPeriod.MONTH: ("monthlyResetPeriodConfiguration", monthly),
        EntitlementResetPeriod.WEEK: ("weeklyResetPeriodConfiguration", weekly),
        EntitlementResetPeriod.YEAR: ("yearlyResetPeriodConfiguration", yearly),
    }
    chosen: str | None = None
    for period, (name, value) in given.items():
        if value is None or value is UNSET:
            continue
        if reset_period is None or reset_period is UNSET:
            raise ValidationFailed(f"{field}.{name} needs a resetPeriod", field=f"{field}.{name}")
        if period != reset_period:
            raise ValidationFailed(
                f"{field}.{name} does not apply to resetPeriod {reset_period.value}",
                field=f"{field}.{name}",
            )
        chosen = str(value.according_to.value)
    return chosen
