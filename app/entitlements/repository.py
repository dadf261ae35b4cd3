"""Queries behind entitlement checks and usage."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Session, col, select

from app.models import (
    Customer,
    Feature,
    FeatureUsage,
    MeterUsage,
    Package,
    PackageEntitlement,
    Product,
    PromotionalEntitlement,
    Subscription,
    SubscriptionAddon,
    SubscriptionEntitlement,
    SubscriptionFeatureQuantity,
)
from app.models.catalog import CatalogStatus, PackageKind
from app.models.subscriptions import LIVE_STATUSES

LIVE = [status.value for status in LIVE_STATUSES]


def customer(session: Session, environment_id: str, customer_ref: str) -> Customer | None:
    query = select(Customer).where(
        Customer.environment_id == environment_id, Customer.customer_id == customer_ref
    )
    return session.exec(query).first()


def features(session: Session, environment_id: str) -> list[Feature]:
    """The environment's active features."""
    query = select(Feature).where(
        Feature.environment_id == environment_id, Feature.status == CatalogStatus.ACTIVE.value
    )
    return list(session.exec(query))


def features_by_ids(session: Session, feature_ids: Collection[str]) -> list[Feature]:
    if not feature_ids:
        return []
    return list(session.exec(select(Feature).where(col(Feature.id).in_(list(feature_ids)))))


def resource_exists(session: Session, customer_id: str, resource_id: str) -> bool:
    query = select(Subscription.id).where(
        Subscription.customer_id == customer_id, Subscription.resource_id == resource_id
    )
    return session.exec(query.limit(1)).first() is not None


def live_subscriptions(
    session: Session, customer_id: str, resource_id: str | None, now: datetime
) -> list[tuple[Subscription, bool]]:
    """Live subscriptions in scope, each with whether its product allows several.

    With a resource: that resource's subscriptions and the customer's subscriptions of
    products that allow only one. Without: the subscriptions outside any resource.
    """
    query = (
        select(Subscription, Product.multiple_subscriptions)
        .join(Product, col(Product.id) == col(Subscription.product_id))
        .where(
            Subscription.customer_id == customer_id,
            col(Subscription.status).in_(LIVE),
            or_(
                col(Subscription.effective_end_date).is_(None),
                col(Subscription.effective_end_date) > now,
            ),
        )
    )
    if resource_id is None:
        query = query.where(col(Subscription.resource_id).is_(None))
    else:
        query = query.where(
            or_(
                col(Subscription.resource_id) == resource_id,
                (col(Subscription.resource_id).is_(None))
                & (col(Product.multiple_subscriptions).is_(False)),
            )
        )
    rows = session.exec(query.order_by(col(Subscription.created_at))).all()
    return [(subscription, bool(multiple)) for subscription, multiple in rows]


def packages(session: Session, package_ids: Collection[str]) -> dict[str, Package]:
    if not package_ids:
        return {}
    query = select(Package).where(col(Package.id).in_(list(package_ids)))
    return {package.id: package for package in session.exec(query)}


def latest_plan(session: Session, environment_id: str, ref_id: str) -> Package | None:
    """The newest version of a plan, archived or not (a base plan stays a base)."""
    query = select(Package).where(
        Package.environment_id == environment_id,
        Package.kind == PackageKind.PLAN.value,
        Package.ref_id == ref_id,
        col(Package.is_latest).is_(True),
    )
    return session.exec(query).first()


def package_entitlements(
    session: Session, package_ids: Collection[str]
) -> dict[str, list[PackageEntitlement]]:
    result: dict[str, list[PackageEntitlement]] = {package_id: [] for package_id in package_ids}
    if not package_ids:
        return result
    query = select(PackageEntitlement).where(
        col(PackageEntitlement.package_id).in_(list(package_ids))
    )
    for row in session.exec(query):
        result[row.package_id].append(row)
    return result


def addons(session: Session, subscription_ids: Collection[str]) -> list[SubscriptionAddon]:
    if not subscription_ids:
        return []
    query = select(SubscriptionAddon).where(
        col(SubscriptionAddon.subscription_id).in_(list(subscription_ids))
    )
    return list(session.exec(query))


def feature_quantities(
    session: Session, subscription_ids: Collection[str]
) -> list[SubscriptionFeatureQuantity]:
    if not subscription_ids:
        return []
    query = select(SubscriptionFeatureQuantity).where(
        col(SubscriptionFeatureQuantity.subscription_id).in_(list(subscription_ids))
    )
    return list(session.exec(query))


def subscription_entitlements(
    session: Session, subscription_ids: Collection[str]
) -> list[SubscriptionEntitlement]:
    if not subscription_ids:
        return []
    query = select(SubscriptionEntitlement).where(
        col(SubscriptionEntitlement.subscription_id).in_(list(subscription_ids))
    )
    return list(session.exec(query))


def promotions(session: Session, customer_id: str) -> list[PromotionalEntitlement]:
    query = select(PromotionalEntitlement).where(PromotionalEntitlement.customer_id == customer_id)
    return list(session.exec(query))


def feature_usage(
    session: Session, customer_id: str, resource_key: str, feature_ids: Collection[str]
) -> dict[str, FeatureUsage]:
    if not feature_ids:
        return {}
    query = select(FeatureUsage).where(
        FeatureUsage.customer_id == customer_id,
        FeatureUsage.resource_id == resource_key,
        col(FeatureUsage.feature_id).in_(list(feature_ids)),
    )
    return {row.feature_id: row for row in session.exec(query)}


def meter_usage(
    session: Session,
    customer_id: str,
    resource_key: str,
    keys: Collection[tuple[str, datetime]],
) -> dict[tuple[str, datetime], MeterUsage]:
    """Meter aggregates by (feature id, period start)."""
    if not keys:
        return {}
    feature_ids = {feature_id for feature_id, _ in keys}
    query = select(MeterUsage).where(
        MeterUsage.customer_id == customer_id,
        MeterUsage.resource_id == resource_key,
        col(MeterUsage.feature_id).in_(list(feature_ids)),
        col(MeterUsage.period_start).in_(list({start for _, start in keys})),
    )
    return {(row.feature_id, row.period_start): row for row in session.exec(query)}
