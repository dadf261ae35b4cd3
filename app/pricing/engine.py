"""A pure price engine: items, a coupon and tax rates in, a quote out.

No database and no Stripe: estimates sit on a hot path and must not wait on a round
trip, yet must match the invoice Stripe will later produce to the minor unit. So every
figure is worked out per invoice line, as Stripe does, and rounded there:
- each line is rounded on its own (Stripe stores a line as an integer in minor units);
- a coupon is taken from each line: a percentage rounded per line, a fixed amount
  spread over the lines in proportion to their amounts, rounded per line, with what
  rounding leaves over put on the largest line (Stripe's ``discount_amounts``);
- each tax rate is applied to each line's amount after its discount, rounded per line
  (Stripe's line ``taxes``), and the invoice's tax per rate is the sum of the lines'.
Rounding is half up throughout.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from app.catalog.money import minor_units
from app.models.catalog import DiscountType

ZERO = Decimal(0)
HUNDRED = Decimal(100)


def round_money(amount: Decimal, currency: str) -> Decimal:
    """To the currency's minor unit, half up, as Stripe rounds each line."""
    quantum = Decimal(1).scaleb(-minor_units(currency))
    return amount.quantize(quantum, rounding=ROUND_HALF_UP)


def line_amount(unit_amount: Decimal, quantity: int, currency: str) -> Decimal:
    return round_money(unit_amount * quantity, currency)


@dataclass(frozen=True)
class Item:
    """One priced line: ``unit_amount`` in major units (``Decimal("10.00")`` is 10 USD)."""

    key: str
    unit_amount: Decimal
    quantity: int

    def __post_init__(self) -> None:
        if not isinstance(self.unit_amount, Decimal):
            raise TypeError("unit_amount must be a Decimal")
        if self.unit_amount < 0:
            raise ValueError(f"unit_amount of {self.key!r} is negative")
        if self.quantity < 0:
            raise ValueError(f"quantity of {self.key!r} is negative")


@dataclass(frozen=True)
class Coupon:
    """``kind`` PERCENTAGE: ``value`` percent off; FIXED: ``value`` off in ``currency``."""

    kind: str
    value: Decimal
    currency: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in (DiscountType.PERCENTAGE, DiscountType.FIXED):
            raise ValueError(f"unknown coupon kind {self.kind!r}")
        if not isinstance(self.value, Decimal):
            raise TypeError("coupon value must be a Decimal")
        if self.value < 0:
            raise ValueError("coupon value is negative")
        if self.kind == DiscountType.PERCENTAGE and self.value > HUNDRED:
            raise ValueError("a percentage coupon is at most 100")


@dataclass(frozen=True)
class TaxRate:
    """A manual tax rate: ``inclusive`` ones are already inside the item amounts."""

    percentage: Decimal
    inclusive: bool

    def __post_init__(self) -> None:
        if not isinstance(self.percentage, Decimal):
            raise TypeError("percentage must be a Decimal")
        if self.percentage < 0:
            raise ValueError("tax percentage is negative")


@dataclass(frozen=True)
class QuoteLine:
    key: str
    unit_amount: Decimal
    quantity: int
    amount: Decimal


@dataclass(frozen=True)
class TaxAmount:
    rate: TaxRate
    amount: Decimal


@dataclass(frozen=True)
class Quote:
    """``total`` = ``sub_total`` - ``discount`` + exclusive tax; ``tax`` counts both kinds."""

    currency: str
    lines: tuple[QuoteLine, ...]
    sub_total: Decimal
    discount: Decimal
    tax: Decimal
    tax_amounts: tuple[TaxAmount, ...]
    total: Decimal


def check_currency(currency: str) -> str:
    if len(currency) != 3 or not currency.isalpha():
        raise ValueError(f"not a currency code: {currency!r}")
    return currency.upper()


def check_unique(items: Sequence[Item]) -> dict[str, Item]:
    """Items by key; a key twice would make a proration ambiguous, so it is refused."""
    by_key: dict[str, Item] = {}
    for item in items:
        if item.key in by_key:
            raise ValueError(f"item {item.key!r} appears twice")
        by_key[item.key] = item
    return by_key


def amount_of(item: Item, currency: str) -> Decimal:
    return line_amount(item.unit_amount, item.quantity, currency)


def discount_shares(
    amounts: Sequence[Decimal], coupon: Coupon | None, currency: str
) -> list[Decimal]:
    """What the coupon takes off each line, in the order given.

    A fixed coupon only applies to invoices in its own currency, as in Stripe; one
    without a currency cannot be matched to an invoice and takes nothing off. It never
    takes more than the lines add up to.
    """
    none = [ZERO for _ in amounts]
    if coupon is None:
        return none
    if coupon.kind == DiscountType.PERCENTAGE:
        return [
            max(ZERO, round_money(amount * coupon.value / HUNDRED, currency)) for amount in amounts
        ]
    if (coupon.currency or "").upper() != currency:
        return none
    positive = [max(amount, ZERO) for amount in amounts]
    base = sum(positive, ZERO)
    if base <= 0:
        return none
    off = min(round_money(coupon.value, currency), base)
    shares = [round_money(off * amount / base, currency) for amount in positive]
    largest = positive.index(max(positive))
    shares[largest] += off - sum(shares, ZERO)
    return shares


def tax_amounts(
    taxable: Decimal, tax_rates: Iterable[TaxRate], currency: str
) -> tuple[TaxAmount, ...]:
    """One rounded amount per rate, in the order given.

    Inclusive rates split the taxable amount into net and tax; when several are inclusive
    their percentages add up, since together they are what the price already contains.
    Exclusive rates apply to that net amount, so a price is never taxed on its own tax.
    """
    rates = tuple(tax_rates)
    inclusive_percentage = sum((r.percentage for r in rates if r.inclusive), ZERO)
    net = taxable * HUNDRED / (HUNDRED + inclusive_percentage)
    return tuple(
        TaxAmount(rate=rate, amount=round_money(net * rate.percentage / HUNDRED, currency))
        for rate in rates
    )


def line_taxes(
    taxables: Sequence[Decimal], tax_rates: Sequence[TaxRate], currency: str
) -> tuple[TaxAmount, ...]:
    """Each rate's tax on ``taxables`` (one amount per invoice line), summed per rate."""
    per_line = [tax_amounts(taxable, tax_rates, currency) for taxable in taxables]
    return tuple(
        TaxAmount(rate=rate, amount=sum((taxes[index].amount for taxes in per_line), ZERO))
        for index, rate in enumerate(tax_rates)
    )


def price(
    items: Sequence[Item],
    currency: str,
    coupon: Coupon | None = None,
    tax_rates: Sequence[TaxRate] = (),
) -> Quote:
    """The quote Stripe's invoice would show for ``items`` in ``currency``."""
    currency = check_currency(currency)
    check_unique(items)
    lines = tuple(
        QuoteLine(
            key=item.key,
            unit_amount=item.unit_amount,
            quantity=item.quantity,
            amount=amount_of(item, currency),
        )
        for item in items
    )
    sub_total = round_money(sum((line.amount for line in lines), ZERO), currency)
    amounts = [line.amount for line in lines]
    shares = discount_shares(amounts, coupon, currency)
    discount = sum(shares, ZERO)
    taxable = sub_total - discount
    taxes = line_taxes(
        [amount - share for amount, share in zip(amounts, shares, strict=True)],
        tuple(tax_rates),
        currency,
    )
    exclusive = sum((t.amount for t in taxes if not t.rate.inclusive), ZERO)
    return Quote(
        currency=currency,
        lines=lines,
        sub_total=sub_total,
        discount=discount,
        tax=round_money(sum((t.amount for t in taxes), ZERO), currency),
        tax_amounts=taxes,
        total=round_money(taxable + exclusive, currency),
    )


def minor_unit(currency: str) -> Decimal:
    """The smallest amount in ``currency``: 0.01 USD, 1 JPY."""
    return Decimal(1).scaleb(-minor_units(currency))
