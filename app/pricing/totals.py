"""Totals of a subscription's stored items, priced by the engine's rules: lines rounded
to the currency's minor unit, then the coupon taken from each line."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from app.models import Coupon
from app.models.catalog import DiscountType
from app.pricing import engine
from app.subscriptions.views import PriceLine, Totals


def coupon_terms(row: Coupon | None) -> engine.Coupon | None:
    """A catalog coupon as the pricing engine takes it."""
    if row is None:
        return None
    kind = "PERCENTAGE" if row.type == DiscountType.PERCENTAGE else "FIXED"
    return engine.Coupon(kind=kind, value=row.discount_value, currency=row.currency)


def totals(
    plan_lines: Sequence[PriceLine], addon_lines: Sequence[PriceLine], coupon: Coupon | None
) -> Totals | None:
    lines = [*plan_lines, *addon_lines]
    if not lines:
        return None
    currency = lines[0].price.currency
    addons_total = sum((line.amount for line in addon_lines), Decimal(0))
    sub_total = sum((line.amount for line in lines), Decimal(0))
    shares = engine.discount_shares([line.amount for line in lines], coupon_terms(coupon), currency)
    discount = sum(shares, Decimal(0))
    return Totals(
        currency=currency,
        sub_total=sub_total,
        addons_total=addons_total,
        discount=discount,
        total=sub_total - discount,
    )
