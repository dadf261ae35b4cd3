"""A subscription with everything the API shows about it, loaded in one place."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session

from app.catalog import reads as catalog_reads
from app.customers import repository as customers
from app.models import (
    Coupon,
    Customer,
    Feature,
    Package,
    PackagePrice,
    Product,
    Subscription,
)
from app.models.catalog import BillingPeriod


@dataclass(frozen=True)
class PriceLine:
    """One priced item of a subscription: a plan or addon price times a quantity."""

    package: Package
    price: PackagePrice
    feature: Feature | None
    quantity: int
    amount: Decimal


@dataclass(frozen=True)
class AddonView:
    item_id: str
    quantity: int
    addon: Package


@dataclass(frozen=True)
class Totals:
    currency: str
    sub_total: Decimal
    addons_total: Decimal
    discount: Decimal
    total: Decimal


@dataclass(frozen=True)
class SubscriptionView:
    subscription: Subscription
    customer: Customer
    product: Product
    plan: Package
    addons: list[AddonView]
    plan_prices: list[PriceLine]
    addon_prices: list[PriceLine]
    totals: Totals | None
    coupon: Coupon | None


def billed_items(session: Session, subscription: Subscription) -> tuple[tuple[str, int], ...]:
    """The (price id, quantity) of each line ``load`` shows with a quantity, the plan's
    first: what Stripe bills, read without the view's customer, features and amounts."""
    from app.subscriptions import repository  # noqa: PLC0415
    from app.subscriptions.items import priced  # noqa: PLC0415

    plan = catalog_reads.package(session, subscription.plan_id)
    if plan is None:  # pragma: no cover - a foreign key
        raise LookupError(f"subscription {subscription.id} has dangling references")
    period = BillingPeriod(subscription.billing_period) if subscription.billing_period else None
    country = subscription.billing_country_code
    items = repository.items_of(session, subscription.id)

    def billed(package: Package, addon_quantity: int | None) -> list[tuple[str, int]]:
        return [
            (price.id, quantity)
            for price, quantity in priced(
                session,
                package,
                period,
                country,
                feature_quantities=items.quantities,
                addon_quantity=addon_quantity,
            )
            if quantity > 0
        ]

    lines = billed(plan, None)
    for _item_id, addon_id, quantity in items.addons:
        addon = catalog_reads.package(session, addon_id)
        if addon is not None:
            lines.extend(billed(addon, quantity))
    return tuple(lines)


def load(session: Session, subscription: Subscription) -> SubscriptionView:
    """Everything about ``subscription`` that the API shows, with its prices and totals."""
    from app.pricing.engine import line_amount  # noqa: PLC0415
    from app.pricing.totals import totals  # noqa: PLC0415
    from app.subscriptions import repository  # noqa: PLC0415
    from app.subscriptions.items import priced  # noqa: PLC0415

    customer = customers.by_pk(session, subscription.customer_id)
    product = catalog_reads.product(session, subscription.product_id)
    plan = catalog_reads.package(session, subscription.plan_id)
    if customer is None or product is None or plan is None:  # pragma: no cover - FKs
        raise LookupError(f"subscription {subscription.id} has dangling references")
    period = BillingPeriod(subscription.billing_period) if subscription.billing_period else None
    country = subscription.billing_country_code
    items = repository.items_of(session, subscription.id)
    quantities = items.quantities
    features = catalog_reads.features_by_ids(
        session,
        subscription.environment_id,
        [p.feature_id for p in catalog_reads.prices_of(session, plan.id) if p.feature_id],
    )

    def lines(package: Package, addon_quantity: int | None) -> list[PriceLine]:
        return [
            PriceLine(
                package,
                price,
                features.get(price.feature_id) if price.feature_id else None,
                quantity,
                line_amount(price.amount, quantity, price.currency),
            )
            for price, quantity in priced(
                session,
                package,
                period,
                country,
                feature_quantities=quantities,
                addon_quantity=addon_quantity,
            )
        ]

    addons = []
    addon_lines: list[PriceLine] = []
    for item_id, addon_id, quantity in items.addons:
        addon = catalog_reads.package(session, addon_id)
        if addon is not None:
            addons.append(AddonView(item_id=item_id, quantity=quantity, addon=addon))
            addon_lines.extend(lines(addon, quantity))
    plan_lines = lines(plan, None)
    coupon = session.get(Coupon, subscription.coupon_id) if subscription.coupon_id else None
    return SubscriptionView(
        subscription=subscription,
        customer=customer,
        product=product,
        plan=plan,
        addons=addons,
        plan_prices=plan_lines,
        addon_prices=addon_lines,
        totals=totals(plan_lines, addon_lines, coupon),
        coupon=coupon,
    )
