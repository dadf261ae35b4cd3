"""Catalog queries for the other domains. Every lookup is scoped to one environment."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.models import (
    Coupon,
    Feature,
    Package,
    PackageEntitlement,
    PackagePrice,
    Product,
    TaxRate,
)
from app.models import PromotionCode as PromotionCodeRow
from app.models.base import utcnow
from app.models.catalog import CatalogStatus, PackageKind

ACTIVE = CatalogStatus.ACTIVE.value


def latest_package(
    session: Session,
    environment_id: str,
    kind: PackageKind,
    ref_id: str,
    *,
    include_archived: bool = False,
) -> Package | None:
    """The newest version of a plan or an addon."""
    query = select(Package).where(
        Package.environment_id == environment_id,
        Package.kind == kind.value,
        Package.ref_id == ref_id,
        col(Package.is_latest).is_(True),
    )
    if not include_archived:
        query = query.where(Package.status == ACTIVE)
    return session.exec(query).first()


def package_version(
    session: Session, environment_id: str, kind: PackageKind, ref_id: str, version_number: int
) -> Package | None:
    query = select(Package).where(
        Package.environment_id == environment_id,
        Package.kind == kind.value,
        Package.ref_id == ref_id,
        Package.version_number == version_number,
    )
    return session.exec(query).first()


def package_by_id(session: Session, environment_id: str, package_id: str) -> Package | None:
    """A package version by its id, whether or not it is the latest or archived."""
    package = session.get(Package, package_id)
    return package if package is not None and package.environment_id == environment_id else None


def latest_packages(
    session: Session, environment_id: str, kind: PackageKind, *, include_archived: bool = False
) -> list[Package]:
    query = select(Package).where(
        Package.environment_id == environment_id,
        Package.kind == kind.value,
        col(Package.is_latest).is_(True),
    )
    if not include_archived:
        query = query.where(Package.status == ACTIVE)
    return list(session.exec(query.order_by(col(Package.ref_id))))


def prices_of(session: Session, package_id: str) -> list[PackagePrice]:
    """A version's prices; country prices have ``billing_country_code`` set."""
    query = (
        select(PackagePrice)
        .where(PackagePrice.package_id == package_id)
        .order_by(
            col(PackagePrice.billing_period),
            col(PackagePrice.billing_model),
            col(PackagePrice.feature_id),
            col(PackagePrice.billing_country_code),
        )
    )
    return list(session.exec(query))


def entitlements_of(session: Session, package_id: str) -> list[PackageEntitlement]:
    query = select(PackageEntitlement).where(PackageEntitlement.package_id == package_id)
    return list(session.exec(query.order_by(col(PackageEntitlement.feature_id))))


def feature_by_ref(
    session: Session, environment_id: str, ref_id: str, *, include_archived: bool = False
) -> Feature | None:
    query = select(Feature).where(
        Feature.environment_id == environment_id, Feature.ref_id == ref_id
    )
    if not include_archived:
        query = query.where(Feature.status == ACTIVE)
    return session.exec(query).first()


def features_by_ids(
    session: Session, environment_id: str, feature_ids: Collection[str]
) -> dict[str, Feature]:
    """Features by their ids (archived ones too: old package versions may name them)."""
    if not feature_ids:
        return {}
    query = select(Feature).where(
        Feature.environment_id == environment_id, col(Feature.id).in_(list(feature_ids))
    )
    return {feature.id: feature for feature in session.exec(query)}


def features_by_refs(
    session: Session, environment_id: str, ref_ids: Collection[str]
) -> dict[str, Feature]:
    """The environment's active features among ``ref_ids``, by ref id."""
    if not ref_ids:
        return {}
    query = select(Feature).where(
        Feature.environment_id == environment_id,
        col(Feature.ref_id).in_(list(ref_ids)),
        Feature.status == ACTIVE,
    )
    return {feature.ref_id: feature for feature in session.exec(query)}


def product_by_ref(
    session: Session, environment_id: str, ref_id: str, *, include_archived: bool = False
) -> Product | None:
    query = select(Product).where(
        Product.environment_id == environment_id, Product.ref_id == ref_id
    )
    if not include_archived:
        query = query.where(Product.status == ACTIVE)
    return session.exec(query).first()


def product_by_id(session: Session, environment_id: str, product_id: str) -> Product | None:
    product = session.get(Product, product_id)
    return product if product is not None and product.environment_id == environment_id else None


def coupon_by_ref(
    session: Session, environment_id: str, ref_id: str, *, include_archived: bool = False
) -> Coupon | None:
    query = select(Coupon).where(Coupon.environment_id == environment_id, Coupon.ref_id == ref_id)
    if not include_archived:
        query = query.where(Coupon.status == ACTIVE)
    return session.exec(query).first()


def coupon_by_id(session: Session, environment_id: str, coupon_id: str) -> Coupon | None:
    coupon = session.get(Coupon, coupon_id)
    return coupon if coupon is not None and coupon.environment_id == environment_id else None


def promotion_code(
    session: Session, environment_id: str, code: str, *, now: datetime | None = None
) -> PromotionCodeRow | None:
    """A code a customer can redeem now: active, not expired, and its coupon active.

    Codes are stored upper-case, so ``stigg30`` finds ``STIGG30``.
    """
    moment = now or utcnow()
    query = (
        select(PromotionCodeRow)
        .join(Coupon, col(Coupon.id) == col(PromotionCodeRow.coupon_id))
        .where(
            PromotionCodeRow.environment_id == environment_id,
            PromotionCodeRow.code == code.strip().upper(),
            PromotionCodeRow.status == ACTIVE,
            Coupon.status == ACTIVE,
            or_(
                col(PromotionCodeRow.expires_at).is_(None),
                col(PromotionCodeRow.expires_at) > moment,
            ),
        )
    )
    return session.exec(query).first()


class SortDirection(StrEnum):
    ASC = "ASC"
    DESC = "DESC"


CouponSortField = Literal["id", "refId", "name", "type", "status", "createdAt", "updatedAt"]

_COUPON_COLUMNS: dict[str, Any] = {
    "id": Coupon.id,
    "refId": Coupon.ref_id,
    "name": Coupon.name,
    "type": Coupon.type,
    "status": Coupon.status,
    "createdAt": Coupon.created_at,
    "updatedAt": Coupon.updated_at,
}


@dataclass(frozen=True)
class CouponSort:
    """One ``CouponSort`` of the GraphQL ``coupons`` query: a field and a direction."""

    field: CouponSortField
    direction: SortDirection = SortDirection.ASC


def _coupon_filters(
    environment_id: str, status: str | None, ref_id: str | None
) -> list[ColumnElement[bool]]:
    filters = [col(Coupon.environment_id) == environment_id]
    if status is not None:
        filters.append(col(Coupon.status) == status)
    if ref_id is not None:
        filters.append(col(Coupon.ref_id) == ref_id)
    return filters


def list_coupons(
    session: Session,
    environment_id: str,
    *,
    status: str | None = None,
    ref_id: str | None = None,
    order_by: Sequence[CouponSort] = (CouponSort("createdAt"),),
    limit: int = 50,
    offset: int = 0,
) -> list[Coupon]:
    """One page of coupons; the id breaks ties so pages never overlap or skip."""
    query: SelectOfScalar[Coupon] = select(Coupon).where(
        *_coupon_filters(environment_id, status, ref_id)
    )
    for sort in order_by:
        column = col(_COUPON_COLUMNS[sort.field])
        query = query.order_by(column.desc() if sort.direction is SortDirection.DESC else column)
    query = query.order_by(col(Coupon.id)).limit(limit).offset(offset)
    return list(session.exec(query))


def count_coupons(
    session: Session, environment_id: str, *, status: str | None = None, ref_id: str | None = None
) -> int:
    query = select(func.count()).select_from(Coupon)
    return session.exec(query.where(*_coupon_filters(environment_id, status, ref_id))).one()


def tax_rates_by_ref(
    session: Session, environment_id: str, ref_ids: Sequence[str]
) -> dict[str, TaxRate]:
    """The active tax rates named by ``ref_ids``."""
    query = select(TaxRate).where(
        TaxRate.environment_id == environment_id,
        col(TaxRate.ref_id).in_(list(ref_ids)),
        TaxRate.status == ACTIVE,
    )
    return {row.ref_id: row for row in session.exec(query)}
