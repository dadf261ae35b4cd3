"""Usage periods: when an entitlement's usage resets, worked out at read time.

Every boundary is computed from the anchor (the subscription's or promotion's start),
never from the previous boundary: a period anchored on Jan 31 runs to Feb 29, then to
Mar 31, then to Apr 30. Nothing zeroes counters on a schedule; usage is stored with the
start of the period it counts in, and a stored period that is not the current one reads
as no usage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.models.catalog import MonthlyAccordingTo, ResetPeriod, WeeklyAccordingTo
from app.subscriptions.periods import add_months

_WEEKDAYS = {
    WeeklyAccordingTo.EVERY_MONDAY: 0,
    WeeklyAccordingTo.EVERY_TUESDAY: 1,
    WeeklyAccordingTo.EVERY_WEDNESDAY: 2,
    WeeklyAccordingTo.EVERY_THURSDAY: 3,
    WeeklyAccordingTo.EVERY_FRIDAY: 4,
    WeeklyAccordingTo.EVERY_SATURDAY: 5,
    WeeklyAccordingTo.EVERY_SUNDAY: 6,
}
_FIXED = {
    ResetPeriod.HOUR: timedelta(hours=1),
    ResetPeriod.DAY: timedelta(days=1),
    ResetPeriod.WEEK: timedelta(days=7),
}
_MONTHS = {ResetPeriod.MONTH: 1, ResetPeriod.YEAR: 12}


@dataclass(frozen=True, slots=True)
class UsagePeriod:
    anchor: datetime
    start: datetime
    end: datetime  # also the next reset date

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def _calendar_period(
    reset: ResetPeriod, according_to: str | None, moment: datetime
) -> tuple[datetime, datetime] | None:
    """Periods fixed to the calendar rather than to the anchor, or None."""
    if reset is ResetPeriod.MONTH and according_to == MonthlyAccordingTo.START_OF_THE_MONTH:
        start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        return start, add_months(start, 1)
    if reset is ResetPeriod.WEEK and according_to in _WEEKDAYS:
        day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        start = day - timedelta(
            days=(day.weekday() - _WEEKDAYS[WeeklyAccordingTo(according_to)]) % 7
        )
        return start, start + timedelta(days=7)
    return None


def _anchored_period(
    anchor: datetime, reset: ResetPeriod, moment: datetime
) -> tuple[datetime, datetime]:
    if reset in _FIXED:
        step = _FIXED[reset]
        count = max(0, (moment - anchor) // step)
        start = anchor + step * count
        return start, start + step
    months = _MONTHS[reset]
    if moment < anchor:
        return anchor, add_months(anchor, months)
    count = ((moment.year - anchor.year) * 12 + moment.month - anchor.month) // months
    while count > 0 and add_months(anchor, months * count) > moment:
        count -= 1
    while add_months(anchor, months * (count + 1)) <= moment:
        count += 1
    return add_months(anchor, months * count), add_months(anchor, months * (count + 1))


def usage_period(
    anchor: datetime, reset: ResetPeriod | str, according_to: str | None, moment: datetime
) -> UsagePeriod:
    """The usage period of an entitlement that resets every ``reset``, holding ``moment``.

    Before the anchor, the first period. DAY and HOUR periods start at the anchor's time
    of day; WEEK and MONTH may instead follow the calendar (``according_to``).
    """
    reset = ResetPeriod(reset)
    anchor = anchor.astimezone(UTC)
    moment = moment.astimezone(UTC)
    bounds = _calendar_period(reset, according_to, moment)
    start, end = bounds if bounds is not None else _anchored_period(anchor, reset, moment)
    return UsagePeriod(anchor=anchor, start=start, end=end)
