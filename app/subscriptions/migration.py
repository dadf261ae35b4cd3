"""Moving a grandfathered subscription to the latest plan and addon versions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session

from app.catalog import reads as catalog_reads
from app.errors import AppError
from app.models import Package, Subscription
from app.models.catalog import BillingPeriod, PackageKind
from app.subscriptions import lifecycle, repository
from app.subscriptions.errors import MigrationNotPossible
from app.subscriptions.items import ResolvedItems, resolve_items
from app.subscriptions.schemas import AddonRequest, BillableFeatureRequest


def current_request(
    session: Session, subscription: Subscription | repository.Terms
) -> tuple[list[tuple[str, Decimal]], list[tuple[str, int]], dict[str, Package]]:
    """The subscription's items as a request: (feature ref, qty), (addon ref, qty), versions."""
    items = repository.items_of(session, subscription.id)
    quantities = items.quantities
    features = catalog_reads.features_by_ids(session, subscription.environment_id, list(quantities))
    billable = [(features[fid].ref_id, Decimal(qty)) for fid, qty in quantities.items()]
    addons: list[tuple[str, int]] = []
    versions: dict[str, Package] = {}
    for _, addon_id, quantity in items.addons:
        addon = catalog_reads.package(session, addon_id)
        if addon is not None:
            addons.append((addon.ref_id, quantity))
            versions[addon.ref_id] = addon
    return billable, addons, versions


def with_changes(
    billable: list[tuple[str, Decimal]],
    addons: list[tuple[str, int]],
    *,
    billable_features: Sequence[BillableFeatureRequest] | None,
    unit_quantity: Decimal | None,
    new_addons: Sequence[AddonRequest] | None,
) -> tuple[list[tuple[str, Decimal]], Decimal | None, list[tuple[str, int]]]:
    """A subscription's current items with a requested change applied.

    Features sent replace their quantity (others keep theirs); ``unitQuantity`` alone
    replaces the quantity of the plan's single per-unit price; addons sent replace the
    whole addon list. Returns (billable features, unit quantity, addons).
    """
    if billable_features is not None:
        given = {f.featureId: f.quantity for f in billable_features}
        billable = [(ref, given.pop(ref, qty)) for ref, qty in billable] + list(given.items())
    elif unit_quantity is not None:
        return [], unit_quantity, _addons(addons, new_addons)
    return billable, None, _addons(addons, new_addons)


def _addons(
    addons: list[tuple[str, int]], new_addons: Sequence[AddonRequest] | None
) -> list[tuple[str, int]]:
    return addons if new_addons is None else [(a.addonId, a.quantity) for a in new_addons]


def is_latest(session: Session, subscription: Subscription) -> bool:
    plan = catalog_reads.package(session, subscription.plan_id)
    if plan is None or not plan.is_latest:
        return False
    return all(
        (addon := catalog_reads.package(session, row.addon_id)) is not None and addon.is_latest
        for row in repository.addons_of(session, subscription.id)
    )


def latest_items(session: Session, subscription: Subscription) -> tuple[Package, ResolvedItems]:
    plan = catalog_reads.package(session, subscription.plan_id)
    latest = (
        catalog_reads.latest_package(
            session, subscription.environment_id, PackageKind.PLAN, plan.ref_id
        )
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
