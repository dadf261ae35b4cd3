"""Billing-period arithmetic and proration amounts, to the second as Stripe computes them.

Month and year periods keep the anchor's day of month, clamped to the length of the
month (an anchor on 31 January bills on 28/29 February, then 31 March), and its time
of day. A proration is `amount * (end - at) / (end - start)` for the period `[start,
end)`, rounded half up to the minor unit on each line, a credit carrying the sign.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

DAY = 86_400


def shift(anchor: int, interval: str, count: int, periods: int) -> int:
    """The boundary `periods` whole intervals after (or, if negative, before) `anchor`."""
    if interval == "day":
        return anchor + periods * count * DAY
    if interval == "week":
        return anchor + periods * count * 7 * DAY
    months = periods * count * (12 if interval == "year" else 1)
    start = datetime.fromtimestamp(anchor, UTC)
    year, month0 = divmod(start.month - 1 + months, 12)
    year += start.year
    day = min(start.day, calendar.monthrange(year, month0 + 1)[1])
    return int(start.replace(year=year, month=month0 + 1, day=day).timestamp())


def period_containing(anchor: int, interval: str, count: int, moment: int) -> tuple[int, int]:
    """The period of the cycle anchored at `anchor` that contains `moment`."""
    index = 0
    if moment >= anchor:
        while shift(anchor, interval, count, index + 1) <= moment:
            index += 1
    else:
        while shift(anchor, interval, count, index) > moment:
            index -= 1
    return shift(anchor, interval, count, index), shift(anchor, interval, count, index + 1)


def prorate(amount: int, start: int, end: int, at: int) -> int:
    """The share of `amount` for `[at, end)` out of the period `[start, end)`."""
    if end <= start:
        return 0
    remaining = min(max(end - at, 0), end - start)
    share = Decimal(amount) * Decimal(remaining) / Decimal(end - start)
    return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def round_minor(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
