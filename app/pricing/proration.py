"""Prorations as Stripe computes them, without asking Stripe.

Stripe prorates to the second: a change at ``proration_date`` credits the unused part
of each current item, ``-(period_end - proration_date) / (period_end - period_start)``
of its amount, and debits the same part of each new item. Each proration becomes its
own invoice line with an integer amount in minor units, so each line is rounded on its
own (half up) and the totals are sums of rounded lines.

A change of billing interval is different: Stripe resets the billing cycle to the
change, credits the unused time of the old items and charges the whole new period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Literal

from app.catalog.money import minor_units
from app.pricing.engine import ZERO, Item, amount_of, check_currency, check_unique

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class ProrationLine:
    """One proration invoice line; ``amount`` is negative for a credit."""

    key: str
    kind: Literal["credit", "debit"]
    unit_amount: Decimal
    quantity: int
    amount: Decimal
    period_start: datetime
    period_end: datetime


@dataclass(frozen=True)
class Proration:
    """``credit`` <= 0, ``debit`` >= 0 and ``net_amount`` is their sum.

    ``billing_period`` is the period the subscription is in after the change: the same
    one for a proration within it, a new one starting at the change for an interval change.
    """

    proration_date: datetime
    currency: str
    credit: Decimal
    debit: Decimal
    net_amount: Decimal
    has_prorations: bool
    lines: tuple[ProrationLine, ...]
    billing_period: tuple[datetime, datetime]


def unix_seconds(moment: datetime) -> int:
    """Whole seconds since the epoch, as Stripe timestamps are; naive means UTC.

    Integer arithmetic on timedeltas keeps floats out of the fraction.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // SECOND


def prorated(amount: Decimal, remaining: int, length: int, currency: str) -> Decimal:
    """``amount * remaining / length`` rounded half up to the minor unit.

    Computed on integers in minor units so the rounding decision is exact: a Decimal
    quotient cut at 28 digits could turn 0.00499... into a tie and round it up.
    """
    places = minor_units(currency)
    minor = int(amount.scaleb(places))
    sign = -1 if minor < 0 else 1
    quotient, remainder = divmod(abs(minor) * remaining, length)
    if 2 * remainder >= length:
        quotient += 1
    return Decimal(sign * quotient).scaleb(-places)


def _line(
    item: Item,
    kind: Literal["credit", "debit"],
    amount: Decimal,
    start: datetime,
    end: datetime,
) -> ProrationLine:
    return ProrationLine(
        key=item.key,
        kind=kind,
        unit_amount=item.unit_amount,
        quantity=item.quantity,
        # ``+ ZERO`` turns the -0 of a credit of nothing into 0.
        amount=-amount + ZERO if kind == "credit" else amount,
        period_start=start,
        period_end=end,
    )


def _summary(
    lines: list[ProrationLine],
    proration_date: datetime,
    currency: str,
    billing_period: tuple[datetime, datetime],
) -> Proration:
    credit = sum((x.amount for x in lines if x.kind == "credit"), ZERO)
    debit = sum((x.amount for x in lines if x.kind == "debit"), ZERO)
    return Proration(
        proration_date=proration_date,
        currency=currency,
        credit=credit,
        debit=debit,
        net_amount=credit + debit,
        has_prorations=bool(lines),
        lines=tuple(lines),
        billing_period=billing_period,
    )


def _check_period(period_start: datetime, period_end: datetime, moment: datetime) -> None:
    start, end, at = unix_seconds(period_start), unix_seconds(period_end), unix_seconds(moment)
    if end <= start:
        raise ValueError("the billing period ends before it starts")
    # Stripe refuses a proration date outside the current period.
    if not start <= at < end:
        raise ValueError("the proration date is outside the billing period")


def _unchanged(old: Item, new: Item) -> bool:
    return old.unit_amount == new.unit_amount and old.quantity == new.quantity


def prorate(
    old_items: Sequence[Item],
    new_items: Sequence[Item],
    period_start: datetime,
    period_end: datetime,
    proration_date: datetime,
    currency: str,
) -> Proration:
    """The prorations of replacing ``old_items`` by ``new_items`` at ``proration_date``.

    Items are matched by key. A changed item (price or quantity) is credited at its old
    amount and debited at its new one, as Stripe bills a quantity change; an added item
    is only debited, a removed one only credited, an unchanged one not prorated at all.
    """
    currency = check_currency(currency)
    _check_period(period_start, period_end, proration_date)
    old, new = check_unique(old_items), check_unique(new_items)
    length = unix_seconds(period_end) - unix_seconds(period_start)
    remaining = unix_seconds(period_end) - unix_seconds(proration_date)

    def part(item: Item) -> Decimal:
        return prorated(amount_of(item, currency), remaining, length, currency)

    lines: list[ProrationLine] = []
    for key in [*old, *(k for k in new if k not in old)]:
        before, after = old.get(key), new.get(key)
        if before is not None and after is not None and _unchanged(before, after):
            continue
        if before is not None:
            lines.append(_line(before, "credit", part(before), proration_date, period_end))
        if after is not None:
            lines.append(_line(after, "debit", part(after), proration_date, period_end))
    return _summary(lines, proration_date, currency, (period_start, period_end))


def interval_change(
    old_items: Sequence[Item],
    new_items: Sequence[Item],
    period_start: datetime,
    period_end: datetime,
    change_date: datetime,
    new_period_end: datetime,
    currency: str,
) -> Proration:
    """A change of billing interval at ``change_date``: the cycle restarts there.

    Every old item is credited for its unused time, even one that keeps its price, since
    the old period ends early for all of them; every new item is charged in full for the
    new period ``[change_date, new_period_end)``.
    """
    currency = check_currency(currency)
    _check_period(period_start, period_end, change_date)
    if unix_seconds(new_period_end) <= unix_seconds(change_date):
        raise ValueError("the new billing period ends before the change")
    credits = prorate(old_items, [], period_start, period_end, change_date, currency)
    debits = [
        _line(item, "debit", amount_of(item, currency), change_date, new_period_end)
        for item in check_unique(new_items).values()
    ]
    return _summary([*credits.lines, *debits], change_date, currency, (change_date, new_period_end))
