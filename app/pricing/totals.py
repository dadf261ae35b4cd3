"""Totals of a subscription's items: exact decimals, rounded per line to the currency's
minor unit, then a coupon applied to the subtotal."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from app.catalog.money import minor_units
from app.models import Coupon
from app.models.catalog import DiscountType
from app.subscriptions.views import PriceLine, Totals


def round_money(amount: Decimal, currency: str) -> Decimal:
    quantum = Decimal(1).scaleb(-minor_units(currency))
    return amount.quantize(quantum, rounding=ROUND_HALF_UP)


def line_amount(unit_amount: Decimal, quantity: int, currency: str) -> Decimal:
    return round_money(unit_amount * quantity, currency)


def discount_of(sub_total: Decimal, coupon: Coupon | None, currency: str) -> Decimal:
    if coupon is None or sub_total <= 0:
        return Decimal(0)
    if coupon.type == DiscountType.PERCENTAGE:
        return round_money(sub_total * coupon.discount_value / 100, currency)
    if (coupon.currency or "").upper() != currency.upper():
        return Decimal(0)
    return min(sub_total, coupon.discount_value)


def totals(
    plan_lines: Sequence[PriceLine], addon_lines: Sequence[PriceLine], coupon: Coupon | None
) -> Totals | None:
    lines = [*plan_lines, *addon_lines]
    if not lines:
        return None
    currency = lines[0].price.currency
    addons_total = sum((line.amount for line in addon_lines), Decimal(0))
    sub_total = sum((line.amount for line in lines), Decimal(0))
    discount = discount_of(sub_total, coupon, currency)
    return Totals(
        currency=currency,
        sub_total=sub_total,
        addons_total=addons_total,
        discount=discount,
        total=sub_total - discount,
    )
