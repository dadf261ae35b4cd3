"""Billing periods counted from an anchor, with Stripe's month-end rule.

A period that starts on the 31st ends on the last day of a shorter month and returns to
the 31st when the month allows it: every boundary is computed from the anchor, never
from the previous boundary, so clamping never drifts.
"""

from __future__ import annotations

import calendar
from datetime import datetime

from app.models.catalog import BillingPeriod

MONTHS = {BillingPeriod.MONTHLY: 1, BillingPeriod.ANNUALLY: 12}


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def boundary(anchor: datetime, period: BillingPeriod, count: int) -> datetime:
    return add_months(anchor, MONTHS[period] * count)


def period_at(
    anchor: datetime, period: BillingPeriod, moment: datetime
) -> tuple[datetime, datetime]:
    """The billing period ``[start, end)`` that contains ``moment`` (the first one if earlier)."""
    if moment < anchor:
        return anchor, boundary(anchor, period, 1)
    step = MONTHS[period]
    count = ((moment.year - anchor.year) * 12 + moment.month - anchor.month) // step
    while boundary(anchor, period, count) > moment:
        count -= 1
    while boundary(anchor, period, count + 1) <= moment:
        count += 1
    return boundary(anchor, period, count), boundary(anchor, period, count + 1)
