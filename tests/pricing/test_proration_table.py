"""Estimates and prorations against figures worked out by hand from Stripe's rules.

Proration (Stripe, to the second): each changed item gets a credit of
``-amount * (end - date) / (end - start)`` for the old item and a debit of the same
fraction of the new item, each line rounded half up to the minor unit. An interval change
credits the unused old time and charges the whole new period. Quotes: lines rounded,
coupon on the subtotal, one rounded amount per tax rate.

Period lengths used below:
  April 2025 30 d = 2,592,000 s; January 2025 31 d = 2,678,400 s;
  February 2025 28 d = 2,419,200 s; February 2024 29 d = 2,505,600 s;
  2025 365 d = 31,536,000 s; 2024 366 d = 31,622,400 s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app.models.catalog import BillingPeriod
from app.pricing.engine import Coupon, Item, TaxRate, price
from app.pricing.proration import interval_change, prorate
from app.subscriptions.periods import period_at


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def item(key: str, unit_amount: str, quantity: int = 1) -> Item:
    return Item(key=key, unit_amount=Decimal(unit_amount), quantity=quantity)


APRIL = (at(2025, 4, 1), at(2025, 5, 1))
JANUARY = (at(2025, 1, 1), at(2025, 2, 1))
FEB_2025 = (at(2025, 2, 1), at(2025, 3, 1))
FEB_2024 = (at(2024, 2, 1), at(2024, 3, 1))
# Anchored on the 31st, the period after January's ends on 28 February (month-end clamp).
CLAMPED = period_at(at(2024, 12, 31), BillingPeriod.MONTHLY, at(2025, 2, 14))


@dataclass(frozen=True)
class Case:
    old: tuple[Item, ...]
    new: tuple[Item, ...]
    period: tuple[datetime, datetime]
    date: datetime
    currency: str
    lines: tuple[str, ...]
    credit: str
    debit: str
    net: str


PRORATIONS = {
    # Stripe's own example: 10 -> 20 USD half way; 15 of 30 days left = 1/2.
    # credit -10 * 1/2 = -5.00, debit 20 * 1/2 = 10.00, net 5.00
    "upgrade_mid_period_30_days": Case(
        (item("plan", "10.00"),), (item("plan", "20.00"),), APRIL, at(2025, 4, 16), "USD",
        ("-5.00", "10.00"), "-5.00", "10.00", "5.00",
    ),
    # 20 -> 10 with 1/2 left: credit -20/2 = -10.00, debit 10/2 = 5.00, net -5.00
    "downgrade_mid_period": Case(
        (item("plan", "20.00"),), (item("plan", "10.00"),), APRIL, at(2025, 4, 16), "USD",
        ("-10.00", "5.00"), "-10.00", "5.00", "-5.00",
    ),
    # 31-day month, 11 Jan: 21 of 31 days left.
    # credit 10 * 21/31 = 6.7741.. -> -6.77; debit 25 * 21/31 = 16.9354.. -> 16.94
    # net -6.77 + 16.94 = 10.17
    "upgrade_31_day_month": Case(
        (item("plan", "10.00"),), (item("plan", "25.00"),), JANUARY, at(2025, 1, 11), "USD",
        ("-6.77", "16.94"), "-6.77", "16.94", "10.17",
    ),
    # 28-day February 2025, 8 Feb: 21 of 28 days left = 3/4.
    # credit 30 * 3/4 = -22.50; debit 50 * 3/4 = 37.50; net 15.00
    "upgrade_28_day_month": Case(
        (item("plan", "30.00"),), (item("plan", "50.00"),), FEB_2025, at(2025, 2, 8), "USD",
        ("-22.50", "37.50"), "-22.50", "37.50", "15.00",
    ),
    # Leap February 2024 (29 days), 11 Feb: 19 of 29 days left.
    # credit 29 * 19/29 = -19.00; debit 58 * 19/29 = 38.00; net 19.00
    "upgrade_leap_february": Case(
        (item("plan", "29.00"),), (item("plan", "58.00"),), FEB_2024, at(2024, 2, 11), "USD",
        ("-19.00", "38.00"), "-19.00", "38.00", "19.00",
    ),
    # Leap February, 15 Feb: 15 of 29 days left.
    # credit 10 * 15/29 = 5.1724.. -> -5.17; debit 20 * 15/29 = 10.3448.. -> 10.34; net 5.17
    "upgrade_leap_february_rounded": Case(
        (item("plan", "10.00"),), (item("plan", "20.00"),), FEB_2024, at(2024, 2, 15), "USD",
        ("-5.17", "10.34"), "-5.17", "10.34", "5.17",
    ),
    # To the second: 10 Apr 12:00 leaves 20.5 days = 1,771,200 of 2,592,000 s.
    # credit 10 * 1771200/2592000 = 6.8333.. -> -6.83; debit 20 * .. = 13.6666.. -> 13.67
    # net 6.84
    "upgrade_at_noon_30_day_month": Case(
        (item("plan", "10.00"),), (item("plan", "20.00"),), APRIL, at(2025, 4, 10, 12), "USD",
        ("-6.83", "13.67"), "-6.83", "13.67", "6.84",
    ),
    # Seats 3 -> 5 at 12.00 on 21 Apr: 10 of 30 days left = 1/3.
    # credit 36.00 / 3 = -12.00; debit 60.00 / 3 = 20.00; net 8.00
    "quantity_up": Case(
        (item("seats", "12.00", 3),), (item("seats", "12.00", 5),), APRIL, at(2025, 4, 21),
        "USD", ("-12.00", "20.00"), "-12.00", "20.00", "8.00",
    ),
    # Seats 5 -> 2 at 7.00 on 17 Jan: 15 of 31 days left.
    # credit 35 * 15/31 = 16.9354.. -> -16.94; debit 14 * 15/31 = 6.7741.. -> 6.77
    # net -10.17
    "quantity_down": Case(
        (item("seats", "7.00", 5),), (item("seats", "7.00", 2),), JANUARY, at(2025, 1, 17),
        "USD", ("-16.94", "6.77"), "-16.94", "6.77", "-10.17",
    ),
    # Plan unchanged (no line); addon 2 x 5.00 added on 11 Apr: 20 of 30 days left.
    # debit 10.00 * 2/3 = 6.666.. -> 6.67; no credit
    "addon_added": Case(
        (item("plan", "20.00"),),
        (item("plan", "20.00"), item("addon", "5.00", 2)),
        APRIL, at(2025, 4, 11), "USD", ("6.67",), "0.00", "6.67", "6.67",
    ),
    # Addon 9.99 removed on 21 Jan: 11 of 31 days left.
    # credit 9.99 * 11/31 = 109.89/31 = 3.5448.. -> -3.54; no debit
    "addon_removed": Case(
        (item("plan", "20.00"), item("addon", "9.99")),
        (item("plan", "20.00"),),
        JANUARY, at(2025, 1, 21), "USD", ("-3.54",), "-3.54", "0.00", "-3.54",
    ),
    # At the first second the whole period is left (fraction 1).
    # credit -10.00; debit 20.00; net 10.00
    "first_second_of_period": Case(
        (item("plan", "10.00"),), (item("plan", "20.00"),), JANUARY, at(2025, 1, 1), "USD",
        ("-10.00", "20.00"), "-10.00", "20.00", "10.00",
    ),
    # At the last second 1 of 2,678,400 s is left.
    # credit 1,000,000 / 2,678,400 = 0.37335.. -> -0.37
    # debit 2,000,000 / 2,678,400 = 0.74671.. -> 0.75
    # net 0.38 (per-line rounding: the unrounded net 0.37335 alone would give 0.37)
    "last_second_of_period": Case(
        (item("plan", "1000000.00"),), (item("plan", "2000000.00"),), JANUARY,
        at(2025, 1, 31, 23, 59, 59), "USD", ("-0.37", "0.75"), "-0.37", "0.75", "0.38",
    ),
    # Last second, small plan: 10 / 2,678,400 = 0.0000037 -> 0.00 and 20 / .. -> 0.00.
    # The item changed, so lines exist, but each rounds to nothing.
    "last_second_rounds_to_zero": Case(
        (item("plan", "10.00"),), (item("plan", "20.00"),), JANUARY,
        at(2025, 1, 31, 23, 59, 59), "USD", ("0.00", "0.00"), "0.00", "0.00", "0.00",
    ),
    # JPY has no minor unit. 11 Jan, 21 of 31 days left.
    # credit 1000 * 21/31 = 677.41.. -> -677; debit 3000 * 21/31 = 2032.25.. -> 2032
    # net 1355
    "jpy_upgrade": Case(
        (item("plan", "1000"),), (item("plan", "3000"),), JANUARY, at(2025, 1, 11), "JPY",
        ("-677", "2032"), "-677", "2032", "1355",
    ),
    # JPY ties round half up: 1/2 left. credit 1001/2 = 500.5 -> -501;
    # debit 3001/2 = 1500.5 -> 1501; net 1000
    "jpy_half_up": Case(
        (item("plan", "1001"),), (item("plan", "3001"),), APRIL, at(2025, 4, 16), "JPY",
        ("-501", "1501"), "-501", "1501", "1000",
    ),
    # USD ties round half up: credit 10.01/2 = 5.005 -> -5.01;
    # debit 20.01/2 = 10.005 -> 10.01; net 5.00
    "usd_half_up": Case(
        (item("plan", "10.01"),), (item("plan", "20.01"),), APRIL, at(2025, 4, 16), "USD",
        ("-5.01", "10.01"), "-5.01", "10.01", "5.00",
    ),
    # Anchored on 31 Dec, the period is 31 Jan -> 28 Feb 2025 (28 days); 14 Feb leaves 14.
    # credit 15/2 = -7.50; debit 45/2 = 22.50; net 15.00
    "month_end_clamped_period": Case(
        (item("plan", "15.00"),), (item("plan", "45.00"),), CLAMPED, at(2025, 2, 14), "USD",
        ("-7.50", "22.50"), "-7.50", "22.50", "15.00",
    ),
    # Two items at 1/2: plan 10 -> 20 gives -5.00, 10.00; seats 2 x 5 -> 3 x 5 gives
    # -10/2 = -5.00, 15/2 = 7.50. credit -10.00; debit 17.50; net 7.50
    "plan_and_quantity_together": Case(
        (item("plan", "10.00"), item("seats", "5.00", 2)),
        (item("plan", "20.00"), item("seats", "5.00", 3)),
        APRIL, at(2025, 4, 16), "USD",
        ("-5.00", "10.00", "-5.00", "7.50"), "-10.00", "17.50", "7.50",
    ),
    # 3 x 9.99 -> 4 x 12.49 on 22 Feb 2025: 7 of 28 days left = 1/4.
    # credit 29.97/4 = 7.4925 -> -7.49; debit 49.96/4 = 12.49; net 5.00
    "price_and_quantity_28_days": Case(
        (item("seats", "9.99", 3),), (item("seats", "12.49", 4),), FEB_2025, at(2025, 2, 22),
        "USD", ("-7.49", "12.49"), "-7.49", "12.49", "5.00",
    ),
    # Nothing changed: no lines, everything zero.
    "no_change": Case(
        (item("plan", "10.00"), item("seats", "5.00", 2)),
        (item("seats", "5.00", 2), item("plan", "10.00")),
        APRIL, at(2025, 4, 16), "USD", (), "0.00", "0.00", "0.00",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", PRORATIONS.values(), ids=PRORATIONS.keys())
def test_proration(case: Case) -> None:
    start, end = case.period
    result = prorate(case.old, case.new, start, end, case.date, case.currency)
    assert [line.amount for line in result.lines] == [Decimal(x) for x in case.lines]
    assert result.credit == Decimal(case.credit)
    assert result.debit == Decimal(case.debit)
    assert result.net_amount == Decimal(case.net)
    assert result.has_prorations == bool(case.lines)
    assert result.proration_date == case.date
    assert result.billing_period == case.period
    assert all(line.period_start == case.date for line in result.lines)
    assert all(line.period_end == end for line in result.lines)


@dataclass(frozen=True)
class IntervalCase:
    old: tuple[Item, ...]
    new: tuple[Item, ...]
    period: tuple[datetime, datetime]
    date: datetime
    new_end: datetime
    currency: str
    credit: str
    debit: str
    net: str


INTERVAL_CHANGES = {
    # Annual 120.00 for 2025 changed to monthly 15.00 on 2 Jul: 182 days used
    # (31+28+31+30+31+30+1), 183 of 365 left. credit 120 * 183/365 = 60.1643.. -> -60.16
    # debit the full month 15.00; net -45.16; new period 2 Jul -> 2 Aug
    "annual_to_monthly": IntervalCase(
        (item("plan", "120.00"),), (item("plan", "15.00"),), (at(2025, 1, 1), at(2026, 1, 1)),
        at(2025, 7, 2), at(2025, 8, 2), "USD", "-60.16", "15.00", "-45.16",
    ),
    # Monthly 20.00 changed to annual 200.00 on 16 Apr: credit 20/2 = -10.00;
    # debit the full year 200.00; net 190.00
    "monthly_to_annual": IntervalCase(
        (item("plan", "20.00"),), (item("plan", "200.00"),), APRIL, at(2025, 4, 16),
        at(2026, 4, 16), "USD", "-10.00", "200.00", "190.00",
    ),
    # Leap year 2024 (366 days), change on 1 Mar: 31+29 = 60 used, 306 left.
    # credit 366 * 306/366 = -306.00; debit 30.00; net -276.00
    "annual_to_monthly_leap_year": IntervalCase(
        (item("plan", "366.00"),), (item("plan", "30.00"),), (at(2024, 1, 1), at(2025, 1, 1)),
        at(2024, 3, 1), at(2024, 4, 1), "USD", "-306.00", "30.00", "-276.00",
    ),
    # JPY, 2 seats x 12000 a year, change on 1 Oct 2025: 273 days used
    # (31+28+31+30+31+30+31+31+30), 92 left. credit 24000 * 92/365 = 6049.31.. -> -6049;
    # debit 2 x 1200 = 2400; net -3649
    "annual_to_monthly_jpy_seats": IntervalCase(
        (item("seats", "12000", 2),), (item("seats", "1200", 2),),
        (at(2025, 1, 1), at(2026, 1, 1)), at(2025, 10, 1), at(2025, 11, 1), "JPY",
        "-6049", "2400", "-3649",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", INTERVAL_CHANGES.values(), ids=INTERVAL_CHANGES.keys())
def test_interval_change(case: IntervalCase) -> None:
    start, end = case.period
    result = interval_change(case.old, case.new, start, end, case.date, case.new_end, case.currency)
    assert result.credit == Decimal(case.credit)
    assert result.debit == Decimal(case.debit)
    assert result.net_amount == Decimal(case.net)
    assert result.has_prorations
    assert result.billing_period == (case.date, case.new_end)


@dataclass(frozen=True)
class QuoteCase:
    items: tuple[Item, ...]
    currency: str
    coupon: Coupon | None
    taxes: tuple[TaxRate, ...]
    sub_total: str
    discount: str
    tax: str
    total: str


BASKET = (item("plan", "49.99"), item("seats", "9.99", 3))  # 49.99 + 29.97 = 79.96
VAT_20 = TaxRate(Decimal(20), inclusive=True)

QUOTES = {
    # 15% taken from each line, as Stripe's discount_amounts: 49.99 -> 7.4985 -> 7.50 and
    # 29.97 -> 4.4955 -> 4.50, so 12.00 off (not 15% of 79.96 = 11.99); total 67.96
    "coupon_percent": QuoteCase(
        BASKET, "USD", Coupon("PERCENTAGE", Decimal(15)), (), "79.96", "12.00", "0.00", "67.96",
    ),
    # 10% exclusive per line: 5.05 -> 0.505 -> 0.51 twice = 1.02 (1.01 on the subtotal)
    "exclusive_tax_per_line": QuoteCase(
        (item("a", "5.05"), item("b", "5.05")), "USD", None,
        (TaxRate(Decimal(10), inclusive=False),), "10.10", "0.00", "1.02", "11.12",
    ),
    # 10.00 off spread in proportion: 49.99/79.96 -> 6.25, 29.97/79.96 -> 3.75; each
    # line taxed 10% after its share: 43.74 -> 4.374 -> 4.37, 26.22 -> 2.622 -> 2.62
    "coupon_fixed_spread_then_taxed": QuoteCase(
        BASKET, "USD", Coupon("FIXED", Decimal("10.00"), "USD"),
        (TaxRate(Decimal(10), inclusive=False),), "79.96", "10.00", "6.99", "76.95",
    ),
    # 10.00 USD off: total 79.96 - 10.00 = 69.96
    "coupon_fixed": QuoteCase(
        BASKET, "USD", Coupon("FIXED", Decimal("10.00"), "USD"), (),
        "79.96", "10.00", "0.00", "69.96",
    ),
    # 100.00 off a 79.96 subtotal is capped at 79.96; total 0.00
    "coupon_fixed_capped": QuoteCase(
        BASKET, "USD", Coupon("FIXED", Decimal("100.00"), "USD"), (),
        "79.96", "79.96", "0.00", "0.00",
    ),
    # A EUR coupon does not apply to a USD invoice: total 79.96
    "coupon_fixed_other_currency": QuoteCase(
        BASKET, "USD", Coupon("FIXED", Decimal("10.00"), "EUR"), (),
        "79.96", "0.00", "0.00", "79.96",
    ),
    # 3 x 980 = 2940 JPY; 10% = 294; total 2646
    "jpy_coupon_percent": QuoteCase(
        (item("seats", "980", 3),), "JPY", Coupon("PERCENTAGE", Decimal(10)), (),
        "2940", "294", "0", "2646",
    ),
    # JPY lines round to whole yen: 333.5 -> 334 (half up), 3 x 0.4 = 1.2 -> 1; 335
    "jpy_per_line_rounding": QuoteCase(
        (item("plan", "333.5"), item("calls", "0.4", 3)), "JPY", None, (),
        "335", "0", "0", "335",
    ),
    # 8.875% exclusive on 100.00 = 8.875 -> 8.88; total 108.88
    "exclusive_tax": QuoteCase(
        (item("plan", "100.00"),), "USD", None, (TaxRate(Decimal("8.875"), inclusive=False),),
        "100.00", "0.00", "8.88", "108.88",
    ),
    # 20% off 59.99 = 11.998 -> 12.00; taxed 47.99 * 10% = 4.799 -> 4.80; total 52.79
    "exclusive_tax_after_coupon": QuoteCase(
        (item("plan", "59.99"),), "USD", Coupon("PERCENTAGE", Decimal(20)),
        (TaxRate(Decimal(10), inclusive=False),), "59.99", "12.00", "4.80", "52.79",
    ),
    # 20% VAT inside 120.00: 120 * 20/120 = 20.00 included; total stays 120.00
    "inclusive_tax": QuoteCase(
        (item("plan", "120.00"),), "USD", None, (VAT_20,), "120.00", "0.00", "20.00", "120.00",
    ),
    # 10% inside 1100 JPY: 1100 * 10/110 = 100; total 1100
    "inclusive_tax_jpy": QuoteCase(
        (item("plan", "1100"),), "JPY", None, (TaxRate(Decimal(10), inclusive=True),),
        "1100", "0", "100", "1100",
    ),
    # 19% inside 9.99: 9.99 * 19/119 = 1.59504.. -> 1.60; total 9.99
    "inclusive_tax_rounded": QuoteCase(
        (item("plan", "9.99"),), "USD", None, (TaxRate(Decimal(19), inclusive=True),),
        "9.99", "0.00", "1.60", "9.99",
    ),
    # Two exclusive rates on 10.00, each rounded: 5% = 0.50; 9.975% = 0.9975 -> 1.00
    # tax 1.50; total 11.50
    "two_exclusive_rates": QuoteCase(
        (item("plan", "10.00"),), "USD", None,
        (TaxRate(Decimal(5), inclusive=False), TaxRate(Decimal("9.975"), inclusive=False)),
        "10.00", "0.00", "1.50", "11.50",
    ),
    # 2940 JPY - 500 coupon = 2440 with 10% inside: 2440 * 10/110 = 221.81.. -> 222
    # total 2440
    "jpy_fixed_coupon_inclusive_tax": QuoteCase(
        (item("seats", "980", 3),), "JPY", Coupon("FIXED", Decimal(500), "JPY"),
        (TaxRate(Decimal(10), inclusive=True),), "2940", "500", "222", "2440",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", QUOTES.values(), ids=QUOTES.keys())
def test_quote(case: QuoteCase) -> None:
    quote = price(case.items, case.currency, case.coupon, case.taxes)
    assert quote.sub_total == Decimal(case.sub_total)
    assert quote.discount == Decimal(case.discount)
    assert quote.tax == Decimal(case.tax)
    assert quote.total == Decimal(case.total)
    assert quote.sub_total == sum((line.amount for line in quote.lines), Decimal(0))


def test_the_table_is_large_enough() -> None:
    assert len(PRORATIONS) + len(INTERVAL_CHANGES) + len(QUOTES) >= 25


def test_a_proration_date_outside_the_period_is_refused() -> None:
    start, end = APRIL
    with pytest.raises(ValueError, match="outside"):
        prorate([], [item("plan", "1.00")], start, end, end, "USD")
    with pytest.raises(ValueError, match="outside"):
        prorate([], [item("plan", "1.00")], start, end, at(2025, 3, 31), "USD")


def test_an_item_twice_is_refused() -> None:
    start, end = APRIL
    with pytest.raises(ValueError, match="twice"):
        prorate([item("a", "1"), item("a", "2")], [], start, end, start, "USD")
    with pytest.raises(ValueError, match="twice"):
        price([item("a", "1"), item("a", "2")], "USD")


def test_a_credit_of_nothing_is_not_negative_zero() -> None:
    start, end = JANUARY
    result = prorate([item("plan", "10.00")], [], start, end, at(2025, 1, 31, 23, 59, 59), "USD")
    assert str(result.lines[0].amount) == "0.00"
    assert str(result.credit) == "0.00"
