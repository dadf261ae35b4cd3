"""Plans and addons, applied as versions.

A package gets a new version exactly when its content hash changes (see
``app.catalog.versions``): a new package row with its own prices and entitlements,
leaving the old version untouched so a subscription keeps what it bought until it is
migrated. An unchanged package only has its status brought in line with the file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, select

from app.catalog.report import Changes, NewVersion
from app.catalog.schemas import AddonSpec, PlanSpec
from app.catalog.versions import content_hash, pricing_type
from app.models import Feature, Package, PackageEntitlement, PackagePrice, Product
from app.models.catalog import CatalogStatus, PackageKind


def _set_status(rows: Sequence[Package], status: CatalogStatus) -> bool:
    changed = False
    for row in rows:
        if row.status != status:
            row.status = status.value
            changed = True
    return changed


def sync_packages(
    session: Session,
    env_id: str,
    kind: PackageKind,
    specs: Sequence[PlanSpec | AddonSpec],
    *,
    products: dict[str, Product],
    features: dict[str, Feature],
    changes: Changes,
) -> list[NewVersion]:
    """Publish a version of each package that changed; archive those the file dropped."""
    new_versions: list[NewVersion] = []
    versions: dict[str, list[Package]] = defaultdict(list)
    query = select(Package).where(Package.environment_id == env_id, Package.kind == kind.value)
    for row in session.exec(query):
        versions[row.ref_id].append(row)
    for spec in specs:
        rows = versions.get(spec.id, [])
        latest = max(rows, key=lambda row: row.version_number, default=None)
        revived = _set_status(rows, CatalogStatus.ACTIVE)
        digest = content_hash(spec)
        if latest is not None and latest.content_hash == digest:
            if revived:
                changes.updated += 1
            else:
                changes.unchanged += 1
            continue
        number = 1
        if latest is not None:
            latest.is_latest = False
            number = latest.version_number + 1
        _insert_version(
            session,
            env_id,
            kind,
            spec,
            number=number,
            digest=digest,
            products=products,
            features=features,
        )
        new_versions.append(NewVersion(kind, spec.id, number))
        if latest is None:
            changes.created += 1
        else:
            changes.updated += 1
    wanted = {spec.id for spec in specs}
    for ref_id, rows in versions.items():
        if ref_id not in wanted and _set_status(rows, CatalogStatus.ARCHIVED):
            changes.archived += 1
    session.flush()
    return new_versions


def _insert_version(
    session: Session,
    env_id: str,
    kind: PackageKind,
    spec: PlanSpec | AddonSpec,
    *,
    number: int,
    digest: str,
    products: dict[str, Product],
    features: dict[str, Feature],
) -> Package:
    plan = spec if isinstance(spec, PlanSpec) else None
    package = Package(
        environment_id=env_id,
        kind=kind.value,
        ref_id=spec.id,
        version_number=number,
        is_latest=True,
        product_id=products[spec.product].id,
        display_name=spec.display_name,
        description=spec.description,
        additional_metadata=spec.additional_meta_data,
        pricing_type=pricing_type(spec).value,
        trial_days=plan.trial.days if plan and plan.trial else None,
        trial_end_behavior=plan.trial.end_behavior.value if plan and plan.trial else None,
        max_quantity=spec.max_quantity if isinstance(spec, AddonSpec) else None,
        compatible_addons=list(plan.compatible_addons) if plan else None,
        base_plan_ref=plan.base_plan if plan else None,
        content_hash=digest,
        status=CatalogStatus.ACTIVE.value,
    )
    session.add(package)
    for price in spec.prices:
        shared: dict[str, Any] = {
            "package_id": package.id,
            "billing_period": price.billing_period.value,
            "billing_model": price.billing_model.value,
            "feature_id": features[price.feature].id if price.feature else None,
            "min_unit_quantity": price.min_unit_quantity,
            "max_unit_quantity": price.max_unit_quantity,
        }
        session.add(PackagePrice(**shared, amount=price.amount, currency=price.currency))
        session.add_all(
            PackagePrice(
                **shared,
                amount=local.amount,
                currency=local.currency,
                billing_country_code=local.country,
            )
            for local in price.country_prices
        )
    session.add_all(
        PackageEntitlement(
            package_id=package.id,
            feature_id=features[entitlement.feature].id,
            usage_limit=entitlement.usage_limit,
            has_unlimited_usage=entitlement.unlimited,
            has_soft_limit=entitlement.has_soft_limit,
            reset_period=entitlement.reset_period.value if entitlement.reset_period else None,
            reset_according_to=entitlement.reset_according_to,
            enum_values=entitlement.enum_values,
            behavior=entitlement.entitlement_behavior.value,
            is_granted=entitlement.is_granted,
        )
        for entitlement in spec.entitlements
    )
    return package
