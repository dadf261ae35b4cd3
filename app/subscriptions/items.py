"""Check what a subscription buys against the plan version it uses.

Every rule lives here so provision, update, migration and estimates agree: the billing
period must be priced, every per-unit price needs a quantity within its bounds, addons
must exist, be compatible and stay within their maximum, and a subscription pays at most
as many prices as Stripe takes items on one subscription (20).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlmodel import Session

from app.billing.limits import SUBSCRIPTION_ITEMS
from app.catalog import reads as catalog_reads
from app.models import Feature, Package, PackagePrice
from app.models.catalog import BillingModel, BillingPeriod, PackageKind
from app.subscriptions.errors import (
    AddonNotCompatible,
    AddonNotFound,
    BillableFeatureRequired,
    BillingPeriodNotPriced,
    BillingPeriodRequired,
    FeatureNotFound,
    InvalidQuantity,
    TooManySubscriptionItems,
)


@dataclass(frozen=True)
class ResolvedItems:
    billing_period: BillingPeriod | None
    country: str | None
    currency: str | None
    feature_quantities: dict[str, int] = field(default_factory=dict)
    addons: list[tuple[Package, int]] = field(default_factory=list)


def prices_for(
    session: Session, package: Package, period: BillingPeriod | None, country: str | None
) -> list[PackagePrice]:
    """The prices of ``package`` for a period: the country's own if it has any, else the default."""
    if period is None:
        return []
    rows = [p for p in catalog_reads.prices_of(session, package.id) if p.billing_period == period]
    local = [p for p in rows if country is not None and p.billing_country_code == country]
    return local or [p for p in rows if p.billing_country_code is None]


def priced(
    session: Session,
    package: Package,
    period: BillingPeriod | None,
    country: str | None,
    *,
    feature_quantities: Mapping[str, int],
    addon_quantity: int | None = None,
) -> list[tuple[PackagePrice, int]]:
    """Each price of ``package`` a subscription pays, with its quantity.

    A plan's per-unit price counts the quantity bought of its feature and its flat fee
    counts once; an addon's prices count the number of addons.
    """
    result = []
    for price in prices_for(session, package, period, country):
        if addon_quantity is not None:
            quantity = addon_quantity
        elif price.feature_id is not None:
            quantity = feature_quantities.get(price.feature_id, 0)
        else:
            quantity = 1
        result.append((price, quantity))
    return result


def _quantity(value: Decimal | int, where: str) -> int:
    quantity = Decimal(value)
    if quantity != quantity.to_integral_value() or quantity < 1:
        raise InvalidQuantity(
            f"{where}: quantity must be a whole number of at least 1", field=where
        )
    return int(quantity)


def _feature_quantities(
    session: Session,
    environment_id: str,
    plan: Package,
    per_unit: Sequence[PackagePrice],
    billable_features: Sequence[tuple[str, Decimal]],
    unit_quantity: Decimal | None,
    prefix: str,
) -> dict[str, int]:
    priced = {p.feature_id: p for p in per_unit if p.feature_id is not None}
    quantities: dict[str, int] = {}
    for index, (ref, raw) in enumerate(billable_features):
        where = f"{prefix}.billableFeatures[{index}]"
        feature: Feature | None = catalog_reads.feature_by_ref(session, environment_id, ref)
        if feature is None:
            raise FeatureNotFound(f"{where}.featureId: unknown feature {ref!r}", field=where)
        if feature.id not in priced:
            raise BillableFeatureRequired(
                f"{where}.featureId: plan {plan.ref_id!r} does not price {ref!r} per unit",
                field=where,
            )
        quantities[feature.id] = _quantity(raw, where)
    missing = [fid for fid in priced if fid not in quantities]
    if unit_quantity is not None:
        if len(missing) != 1:
            raise BillableFeatureRequired(
                f"{prefix}.unitQuantity: plan {plan.ref_id!r} has {len(missing)} per-unit "
                "prices left to set; give each one in billableFeatures",
                field=f"{prefix}.unitQuantity",
            )
        quantities[missing[0]] = _quantity(unit_quantity, f"{prefix}.unitQuantity")
        missing = []
    # A per-unit price given no quantity is bought at its minimum, as Stripe bills an item
    # given no quantity at one: what is granted is what is billed.
    for feature_id in missing:
        quantities[feature_id] = priced[feature_id].min_unit_quantity or 1
    for feature_id, quantity in quantities.items():
        price = priced[feature_id]
        low, high = price.min_unit_quantity or 1, price.max_unit_quantity
        if quantity < low or (high is not None and quantity > high):
            bound = f"{low}..{high}" if high is not None else f"at least {low}"
            raise InvalidQuantity(
                f"{prefix}.billableFeatures: quantity {quantity} is outside {bound}",
                field=f"{prefix}.billableFeatures",
            )
    return quantities


def _addons(
    session: Session,
    environment_id: str,
    plan: Package,
    period: BillingPeriod | None,
    country: str | None,
    requested: Sequence[tuple[str, int]],
    versions: Mapping[str, Package],
    prefix: str,
) -> list[tuple[Package, int]]:
    chosen: list[tuple[Package, int]] = []
    seen: set[str] = set()
    for index, (ref, quantity) in enumerate(requested):
        where = f"{prefix}.addons[{index}]"
        if ref in seen:
            raise InvalidQuantity(f"{where}.addonId: {ref!r} is listed twice", field=where)
        seen.add(ref)
        addon = versions.get(ref) or catalog_reads.latest_package(
            session, environment_id, PackageKind.ADDON, ref
        )
        if addon is None:
            raise AddonNotFound(f"{where}.addonId: unknown addon {ref!r}", field=where)
        if ref not in (plan.compatible_addons or []):
            raise AddonNotCompatible(
                f"{where}.addonId: addon {ref!r} is not compatible with plan {plan.ref_id!r}",
                field=where,
            )
        if quantity < 1 or (addon.max_quantity is not None and quantity > addon.max_quantity):
            limit = f"1..{addon.max_quantity}" if addon.max_quantity else "at least 1"
            raise InvalidQuantity(
                f"{where}.quantity: {quantity} is outside {limit} for addon {ref!r}", field=where
            )
        if catalog_reads.prices_of(session, addon.id):
            if period is None:
                raise BillingPeriodRequired(
                    f"{prefix}.billingPeriod: addon {ref!r} is paid; a billing period is required",
                    field=f"{prefix}.billingPeriod",
                )
            if not prices_for(session, addon, period, country):
                raise BillingPeriodNotPriced(
                    f"{where}.addonId: addon {ref!r} has no {period.value} price", field=where
                )
        chosen.append((addon, quantity))
    return chosen


def _check_item_count(
    session: Session,
    plan: Package,
    plan_prices: Sequence[PackagePrice],
    addons: Sequence[tuple[Package, int]],
    period: BillingPeriod | None,
    country: str | None,
    prefix: str,
) -> None:
    """Each price paid is one Stripe subscription item, and Stripe takes at most 20."""
    count = len(plan_prices) + sum(
        len(prices_for(session, addon, period, country)) for addon, _ in addons
    )
    if count <= SUBSCRIPTION_ITEMS:
        return
    where = f"{prefix}.addons" if addons else f"{prefix}.planId"
    raise TooManySubscriptionItems(
        f"{where}: plan {plan.ref_id!r} with these addons is {count} priced items; "
        f"a subscription can have at most {SUBSCRIPTION_ITEMS}",
        field=where,
    )


def resolve_items(
    session: Session,
    environment_id: str,
    plan: Package,
    *,
    billing_period: BillingPeriod | None,
    country: str | None,
    billable_features: Sequence[tuple[str, Decimal]] = (),
    unit_quantity: Decimal | None = None,
    addons: Sequence[tuple[str, int]] = (),
    addon_versions: Mapping[str, Package] | None = None,
    prefix: str = "input",
) -> ResolvedItems:
    has_prices = bool(catalog_reads.prices_of(session, plan.id))
    if has_prices and billing_period is None:
        raise BillingPeriodRequired(
            f"{prefix}.billingPeriod: plan {plan.ref_id!r} is paid; MONTHLY or ANNUALLY required",
            field=f"{prefix}.billingPeriod",
        )
    prices = prices_for(session, plan, billing_period, country)
    if has_prices and not prices:
        raise BillingPeriodNotPriced(
            f"{prefix}.billingPeriod: plan {plan.ref_id!r} has no "
            f"{billing_period.value if billing_period else ''} price",
            field=f"{prefix}.billingPeriod",
        )
    per_unit = [p for p in prices if p.billing_model == BillingModel.PER_UNIT]
    local = any(p.billing_country_code is not None for p in prices)
    used_country = country if local else None
    quantities = _feature_quantities(
        session, environment_id, plan, per_unit, billable_features, unit_quantity, prefix
    )
    chosen = _addons(
        session,
        environment_id,
        plan,
        billing_period,
        used_country,
        addons,
        addon_versions or {},
        prefix,
    )
    _check_item_count(session, plan, prices, chosen, billing_period, used_country, prefix)
    currency = prices[0].currency if prices else None
    if currency is None:
        for addon, _ in chosen:
            addon_prices = prices_for(session, addon, billing_period, used_country)
            if addon_prices:
                currency = addon_prices[0].currency
                break
    return ResolvedItems(
        billing_period=billing_period,
        country=used_country,
        currency=currency,
        feature_quantities=quantities,
        addons=chosen,
    )
