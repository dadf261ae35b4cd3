"""Apply a catalog file to one environment.

The file is the whole truth for the environment: what it lists is created or updated,
what it no longer lists is archived (never deleted, since subscriptions and customers
still point at it), and what reappears is re-activated. Applying the same file twice
changes nothing, down to ``updated_at``.

Products, features, coupons and promotion codes are updated in place. Plans and addons
are versioned instead (see ``app.catalog.packages``): a change inserts a new package
row with its own prices and entitlements and leaves the old version untouched, so a
subscription keeps what it bought until it is migrated.

An apply that changes anything increments the environment's ``catalog_version`` in the
same transaction, so whatever caches entitlements knows to reload; an apply that
changes nothing leaves it as it is.

Everything runs in the caller's transaction and is only flushed, so a failure part-way
applies nothing once the caller rolls back. Two applies racing on one environment
cannot both publish the same version: the unique (environment, kind, ref, version)
constraint makes the later one fail and roll back.
"""

from __future__ import annotations

from typing import Any, TypeVar

import structlog
from sqlalchemy import update
from sqlmodel import Session, col, select

from app.catalog.packages import sync_packages
from app.catalog.report import ApplyReport, Changes, NewVersion
from app.catalog.schemas import (
    CatalogSpec,
    CouponSpec,
    FeatureSpec,
    ProductSpec,
    PromotionCodeSpec,
    TaxRateSpec,
)
from app.models import Coupon, Environment, Feature, Product, PromotionCode, TaxRate
from app.models.base import utcnow
from app.models.catalog import CatalogStatus, PackageKind

__all__ = ["ApplyReport", "Changes", "NewVersion", "apply_catalog"]

log = structlog.get_logger(__name__)

Row = TypeVar("Row", Product, Feature, Coupon, PromotionCode, TaxRate)


def apply_catalog(session: Session, environment: Environment, spec: CatalogSpec) -> ApplyReport:
    """Make ``environment``'s catalog match ``spec``; flushes, the caller commits."""
    report = ApplyReport()
    env_id = environment.id
    features = _sync(session, Feature, env_id, _features(spec.features), report.features)
    products = _sync(session, Product, env_id, _products(spec.products), report.products)
    for kind, specs, changes in (
        (PackageKind.PLAN, spec.plans, report.plans),
        (PackageKind.ADDON, spec.addons, report.addons),
    ):
        report.new_versions += sync_packages(
            session, env_id, kind, specs, products=products, features=features, changes=changes
        )
    coupons = _sync(session, Coupon, env_id, _coupons(spec.coupons), report.coupons)
    codes = _promotion_codes(spec.promotion_codes, coupons)
    _sync(session, PromotionCode, env_id, codes, report.promotion_codes)
    _sync(session, TaxRate, env_id, _tax_rates(spec.tax_rates), report.tax_rates)
    if report.changed:
        _bump_catalog_version(session, env_id)
    log.info(
        "catalog.applied",
        environment_id=env_id,
        changed=report.changed,
        **{kind: vars(changes) for kind, changes in report.by_kind().items()},
    )
    return report


def _bump_catalog_version(session: Session, env_id: str) -> None:
    """Tell the environment's entitlement caches to reload, in the apply's transaction.

    Caches compare the number they loaded with the environment's; incrementing it in
    SQL counts two racing applies as two changes, where a value read and written back
    could count them as one.
    """
    session.exec(
        update(Environment)
        .where(col(Environment.id) == env_id)
        .values(catalog_version=col(Environment.catalog_version) + 1)
    )


def _status(active: bool) -> str:
    return (CatalogStatus.ACTIVE if active else CatalogStatus.ARCHIVED).value


def _features(specs: list[FeatureSpec]) -> dict[str, dict[str, Any]]:
    return {
        f.id: {
            "display_name": f.display_name,
            "description": f.description,
            "feature_type": f.feature_type.value,
            "meter_type": f.meter_type.value,
            "units": f.units,
            "units_plural": f.units_plural,
            "enum_values": _enum_values(f),
            "meter": f.meter.to_meter().to_stored() if f.meter else None,
            "additional_metadata": f.additional_meta_data,
            "status": _status(True),
        }
        for f in specs
    }


def _enum_values(feature: FeatureSpec) -> list[dict[str, str]] | None:
    if feature.enum_values is None:
        return None
    return [{"value": e.value, "displayName": e.display_name} for e in feature.enum_values]


def _products(specs: list[ProductSpec]) -> dict[str, dict[str, Any]]:
    return {
        p.id: {
            "display_name": p.display_name,
            "description": p.description,
            "additional_metadata": p.additional_meta_data,
            "multiple_subscriptions": p.multiple_subscriptions,
            "initial_plan_ref": p.customer_journey.initial_plan,
            "initial_plan_is_trial": p.customer_journey.initial_plan_is_trial,
            "override_requested_plan": p.customer_journey.override_requested_plan,
            "fallback_plan_ref": p.customer_journey.fallback_plan,
            "status": _status(True),
        }
        for p in specs
    }


def _coupons(specs: list[CouponSpec]) -> dict[str, dict[str, Any]]:
    return {
        c.id: {
            "name": c.name,
            "description": c.description,
            "type": c.type.value,
            "discount_value": c.discount_value,
            "currency": c.currency,
            "duration_in_months": c.duration_in_months,
            "status": c.status.value,
            "additional_metadata": c.additional_meta_data,
        }
        for c in specs
    }


def _tax_rates(specs: list[TaxRateSpec]) -> dict[str, dict[str, Any]]:
    return {
        t.id: {
            "display_name": t.display_name,
            "percentage": t.percentage,
            "inclusive": t.inclusive,
            "country": t.country,
            "status": t.status.value,
        }
        for t in specs
    }


def _promotion_codes(
    specs: list[PromotionCodeSpec], coupons: dict[str, Coupon]
) -> dict[str, dict[str, Any]]:
    return {
        p.code: {
            "coupon_id": coupons[p.coupon].id,
            "max_redemptions": p.max_redemptions,
            "expires_at": p.expires_at,
            "status": _status(p.active),
        }
        for p in specs
    }


# Stripe cannot change these once a coupon or promotion code exists there, so a change
# drops the link (``billing_id``) and the billing sync creates a new Stripe object.
_BILLING_TERMS: dict[type[Any], tuple[str, ...]] = {
    Coupon: ("type", "discount_value", "currency", "duration_in_months"),
    PromotionCode: ("coupon_id", "max_redemptions", "expires_at"),
    TaxRate: ("percentage", "inclusive"),
}


def _key_of(row: Product | Feature | Coupon | PromotionCode | TaxRate) -> str:
    return row.code if isinstance(row, PromotionCode) else row.ref_id


def _assign(row: Any, values: dict[str, Any]) -> bool:
    """Set the values that differ; whether any did."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _sync(
    session: Session,
    model: type[Row],
    env_id: str,
    wanted: dict[str, dict[str, Any]],
    changes: Changes,
) -> dict[str, Row]:
    """Create, update and archive rows of ``model`` to match ``wanted`` (keyed by ref)."""
    existing = {
        _key_of(row): row
        for row in session.exec(select(model).where(col(model.environment_id) == env_id))
    }
    key_field = "code" if model is PromotionCode else "ref_id"
    terms = _BILLING_TERMS.get(model, ())
    now = utcnow()
    rows: dict[str, Row] = {}
    for key, values in wanted.items():
        row = existing.get(key)
        if row is None:
            fields: dict[str, Any] = {"environment_id": env_id, key_field: key, **values}
            row = model(**fields)
            session.add(row)
            changes.created += 1
        else:
            updates = values
            if any(getattr(row, name) != values[name] for name in terms):
                updates = {**values, "billing_id": None}
            if _assign(row, updates):
                row.updated_at = now
                session.add(row)
                changes.updated += 1
            else:
                changes.unchanged += 1
        rows[key] = row
    for key, row in existing.items():
        if key not in wanted and row.status != CatalogStatus.ARCHIVED:
            row.status = CatalogStatus.ARCHIVED.value
            row.updated_at = now
            session.add(row)
            changes.archived += 1
    session.flush()
    return rows
