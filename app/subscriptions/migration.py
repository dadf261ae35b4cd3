"""Moving a grandfathered subscription to the latest plan and addon versions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlmodel import Session

from app.catalog import repository as catalog
from app.errors import AppError
from app.models import Package, Subscription
from app.models.catalog import BillingPeriod, PackageKind
from app.subscriptions import lifecycle, repository
from app.subscriptions.errors import MigrationNotPossible
from app.subscriptions.items import ResolvedItems, resolve_items


def current_request(
    session: Session, subscription: Subscription
) -> tuple[list[tuple[str, Decimal]], list[tuple[str, int]], dict[str, Package]]:
    """The subscription's items as a request: (feature ref, qty), (addon ref, qty), versions."""
    features = catalog.features_by_ids(
        session,
        subscription.environment_id,
        list(repository.feature_quantities_of(session, subscription.id)),
    )
    billable = [
        (features[fid].ref_id, Decimal(qty))
        for fid, qty in repository.feature_quantities_of(session, subscription.id).items()
    ]
    addons: list[tuple[str, int]] = []
    versions: dict[str, Package] = {}
    for row in repository.addons_of(session, subscription.id):
        addon = session.get(Package, row.addon_id)
        if addon is not None:
            addons.append((addon.ref_id, row.quantity))
            versions[addon.ref_id] = addon
    return billable, addons, versions


def is_latest(session: Session, subscription: Subscription) -> bool:
    plan = session.get(Package, subscription.plan_id)
    if plan is None or not plan.is_latest:
        return False
    return all(
        (addon := session.get(Package, row.addon_id)) is not None and addon.is_latest
        for row in repository.addons_of(session, subscription.id)
    )


def latest_items(session: Session, subscription: Subscription) -> tuple[Package, ResolvedItems]:
    plan = session.get(Package, subscription.plan_id)
    latest = (
        catalog.latest_package(session, subscription.environment_id, PackageKind.PLAN, plan.ref_id)
        if plan is not None
        else None
    )
    if latest is None:
        raise MigrationNotPossible(
            "the subscription's plan is no longer in the catalog", field="input.subscriptionId"
        )
    billable, addons, _ = current_request(session, subscription)
    try:
        items = resolve_items(
            session,
            subscription.environment_id,
            latest,
            billing_period=BillingPeriod(subscription.billing_period)
            if subscription.billing_period
            else None,
            country=subscription.billing_country_code,
            billable_features=billable,
            addons=addons,
        )
    except AppError as exc:
        raise MigrationNotPossible(
            f"the latest version of {latest.ref_id!r} does not fit this subscription: "
            f"{exc.message}",
            field="input.subscriptionId",
        ) from None
    return latest, items


def migrate_now(session: Session, subscription: Subscription, at: datetime) -> None:
    latest, items = latest_items(session, subscription)
    lifecycle.set_items(session, subscription, items)
    subscription.plan_id = latest.id
    subscription.pricing_type = latest.pricing_type
    subscription.updated_at = at
    session.add(subscription)
    session.flush()
