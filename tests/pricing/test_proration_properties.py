"""Properties of prorations and estimates over generated items, periods and dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from app.catalog.money import minor_units
from app.pricing.engine import Coupon, Item, TaxRate, amount_of, price
from app.pricing.proration import interval_change, prorate, unix_seconds

CURRENCIES = st.sampled_from(["USD", "JPY", "KWD"])
KEYS = ["plan", "seats", "addon-a", "addon-b"]


@st.composite
def items(draw: st.DrawFn) -> list[Item]:
    keys = draw(st.lists(st.sampled_from(KEYS), unique=True, max_size=len(KEYS)))
    return [
        Item(
            key=key,
            # Up to 4 decimals: per-unit prices may be finer than the currency's unit.
            unit_amount=Decimal(draw(st.integers(0, 10_000_000))).scaleb(-4),
            quantity=draw(st.integers(0, 50)),
        )
        for key in keys
    ]


@st.composite
def periods(draw: st.DrawFn) -> tuple[datetime, datetime, datetime]:
    """A period of 1 second to 366 days and a proration date inside it."""
    start = draw(st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1))).replace(
        microsecond=0, tzinfo=UTC
    )
    length = draw(st.integers(1, 366 * 86_400))
    offset = draw(st.integers(0, length - 1))
    return start, start + timedelta(seconds=length), start + timedelta(seconds=offset)


coupons = st.one_of(
    st.none(),
    st.builds(Coupon, st.just("PERCENTAGE"), st.integers(0, 100).map(Decimal)),
    st.builds(
        Coupon,
        st.just("FIXED"),
        st.integers(0, 100_000).map(lambda n: Decimal(n).scaleb(-2)),
        CURRENCIES,
    ),
)
tax_rates = st.lists(
    st.builds(TaxRate, st.integers(0, 30_000).map(lambda n: Decimal(n).scaleb(-3)), st.booleans()),
    max_size=3,
)


@given(items(), periods(), CURRENCIES)
def test_a_no_op_update_prorates_to_zero(
    current: list[Item], period: tuple[datetime, datetime, datetime], currency: str
) -> None:
    start, end, date = period
    result = prorate(current, list(reversed(current)), start, end, date, currency)
    assert result.lines == ()
    assert not result.has_prorations
    assert result.credit == result.debit == result.net_amount == 0


@given(items(), items(), items(), periods(), CURRENCIES)
def test_two_changes_add_up_to_one(
    a: list[Item],
    b: list[Item],
    c: list[Item],
    period: tuple[datetime, datetime, datetime],
    currency: str,
) -> None:
    """A -> B then B -> C at one date nets exactly what A -> C does, to the minor unit.

    Exact, with no rounding tolerance: per key, A -> B debits round(f * B) and B -> C
    credits the very same rounded figure, so B cancels line for line and both sides are
    -round(f * A) + round(f * C).
    """
    start, end, date = period
    first = prorate(a, b, start, end, date, currency)
    second = prorate(b, c, start, end, date, currency)
    direct = prorate(a, c, start, end, date, currency)
    assert first.net_amount + second.net_amount == direct.net_amount


@given(items(), items(), periods(), CURRENCIES)
def test_each_line_is_the_exact_fraction_rounded_half_up(
    old: list[Item], new: list[Item], period: tuple[datetime, datetime, datetime], currency: str
) -> None:
    start, end, date = period
    fraction = Fraction(
        unix_seconds(end) - unix_seconds(date), unix_seconds(end) - unix_seconds(start)
    )
    by_key = {"credit": {i.key: i for i in old}, "debit": {i.key: i for i in new}}
    half_unit = Fraction(1, 2 * 10 ** minor_units(currency))
    for line in prorate(old, new, start, end, date, currency).lines:
        exact = Fraction(amount_of(by_key[line.kind][line.key], currency)) * fraction
        rounded = abs(Fraction(line.amount))
        # Half up: the exact value lies in [rounded - half, rounded + half).
        assert rounded - half_unit <= exact < rounded + half_unit


@given(items(), items(), periods(), CURRENCIES)
def test_signs_and_sums(
    old: list[Item], new: list[Item], period: tuple[datetime, datetime, datetime], currency: str
) -> None:
    start, end, date = period
    result = prorate(old, new, start, end, date, currency)
    assert result.credit <= 0 <= result.debit
    assert result.net_amount == result.credit + result.debit
    assert result.credit == sum((x.amount for x in result.lines if x.kind == "credit"), Decimal(0))
    # A negative estimate only ever comes from a credit line.
    if result.net_amount < 0:
        assert any(line.amount < 0 for line in result.lines)


@given(items(), st.data(), periods(), CURRENCIES)
def test_an_upgrade_of_every_item_never_nets_a_credit(
    old: list[Item], data: st.DataObject, period: tuple[datetime, datetime, datetime], currency: str
) -> None:
    """No item removed and none cheaper: nothing is owed back, whatever the rounding."""
    start, end, date = period
    new = [Item(i.key, i.unit_amount, i.quantity + data.draw(st.integers(0, 10))) for i in old] + [
        Item("extra", Decimal(data.draw(st.integers(0, 10_000))), 1)
    ]
    assert prorate(old, new, start, end, date, currency).net_amount >= 0


@given(items(), CURRENCIES, coupons, tax_rates)
def test_a_new_subscription_estimate_is_never_negative(
    basket: list[Item], currency: str, coupon: Coupon | None, taxes: list[TaxRate]
) -> None:
    quote = price(basket, currency, coupon, taxes)
    assert 0 <= quote.discount <= quote.sub_total
    assert quote.total >= 0
    assert quote.tax >= 0
    assert quote.total == quote.sub_total - quote.discount + sum(
        (t.amount for t in quote.tax_amounts if not t.rate.inclusive), Decimal(0)
    )


@given(items(), items(), periods(), st.integers(1, 366 * 86_400), CURRENCIES)
def test_an_interval_change_credits_the_old_and_charges_the_new_in_full(
    old: list[Item],
    new: list[Item],
    period: tuple[datetime, datetime, datetime],
    new_length: int,
    currency: str,
) -> None:
    start, end, date = period
    new_end = date + timedelta(seconds=new_length)
    result = interval_change(old, new, start, end, date, new_end, currency)
    assert result.credit == prorate(old, [], start, end, date, currency).credit
    assert result.debit == price(new, currency).sub_total
    assert result.billing_period == (date, new_end)
