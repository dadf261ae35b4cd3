"""The catalog in Stripe: a product per plan or addon, a price per local price row, and
coupons with their promotion codes.

Everything is found again rather than re-created: products by a deterministic id, prices
by a lookup key made from the local price row id, coupons by a deterministic id, and
each local row remembers its Stripe id. Prices are never edited (Stripe's prices are
immutable, and so are a published version's): a new plan version brings new prices.
"""

from __future__ import annotations

import hashlib
import re

import structlog
from sqlmodel import Session, select
from stripe.params import CouponCreateParams, PriceCreateParams, ProductCreateParams

from app.billing.client import gateway
from app.billing.errors import BillingResourceMissing
from app.billing.idempotency import idempotency_key
from app.catalog import repository as catalog
from app.catalog.money import to_minor_units
from app.models import Coupon, Package, PackagePrice, PromotionCode
from app.models.catalog import BillingPeriod, CatalogStatus, DiscountType, PackageKind

log = structlog.get_logger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def _stable_id(prefix: str, environment_id: str, name: str) -> str:
    digest = hashlib.sha256(f"{environment_id}:{name}".encode()).hexdigest()[:12]
    return f"{prefix}_{_UNSAFE.sub('-', name)[:40]}_{digest}"


def price_lookup_key(price: PackagePrice) -> str:
    return f"billing-sync:{price.id}"


def ensure_product(session: Session, package: Package) -> str:
    if package.billing_id is not None:
        return package.billing_id
    gw = gateway()
    product_id = _stable_id("bs", package.environment_id, f"{package.kind}-{package.ref_id}")
    existing = session.exec(
        select(Package.billing_id).where(
            Package.environment_id == package.environment_id,
            Package.kind == package.kind,
            Package.ref_id == package.ref_id,
            Package.billing_id.isnot(None),  # type: ignore[union-attr]
        )
    ).first()
    if existing is None:
        params: ProductCreateParams = {
            "id": product_id,
            "name": package.display_name,
            "metadata": {
                "billing_sync_environment_id": package.environment_id,
                "billing_sync_kind": package.kind,
                "billing_sync_ref_id": package.ref_id,
            },
        }
        if package.description:
            params["description"] = package.description
        gw.call(
            lambda: gw.stripe.v1.products.create(
                params, {"idempotency_key": idempotency_key("product.create", product_id)}
            )
        )
        log.info("stripe.product.created", ref_id=package.ref_id, billing_id=product_id)
    package.billing_id = existing or product_id
    session.add(package)
    session.flush()
    return package.billing_id


def ensure_price(session: Session, price: PackagePrice) -> str:
    if price.billing_id is not None:
        return price.billing_id
    package = session.get(Package, price.package_id)
    assert package is not None
    product_id = ensure_product(session, package)
    gw = gateway()
    key = price_lookup_key(price)
    found = gw.call(lambda: gw.stripe.v1.prices.list({"lookup_keys": [key], "limit": 1}))
    if found.data:
        price.billing_id = found.data[0].id
    else:
        params: PriceCreateParams = {
            "product": product_id,
            "currency": price.currency.lower(),
            "lookup_key": key,
            "recurring": {
                "interval": "year" if price.billing_period == BillingPeriod.ANNUALLY else "month",
            },
            "metadata": {
                "billing_sync_price_id": price.id,
                "billing_sync_environment_id": package.environment_id,
            },
        }
        minor = to_minor_units(price.amount, price.currency)
        if minor == minor.to_integral_value():
            params["unit_amount"] = int(minor)
        else:
            params["unit_amount_decimal"] = minor
        created = gw.call(
            lambda: gw.stripe.v1.prices.create(
                params, {"idempotency_key": idempotency_key("price.create", price.id)}
            )
        )
        price.billing_id = created.id
        log.info("stripe.price.created", price_id=price.id, billing_id=created.id)
    session.add(price)
    session.flush()
    return price.billing_id


def ensure_coupon(session: Session, coupon: Coupon) -> str:
    if coupon.billing_id is not None:
        return coupon.billing_id
    gw = gateway()
    terms = f"{coupon.type}:{coupon.discount_value}:{coupon.currency}:{coupon.duration_in_months}"
    coupon_id = _stable_id("bs", coupon.environment_id, f"{coupon.ref_id}-{terms}")
    params: CouponCreateParams = {
        "id": coupon_id,
        "name": coupon.name[:40],
        "metadata": {
            "billing_sync_environment_id": coupon.environment_id,
            "billing_sync_coupon_id": coupon.ref_id,
        },
    }
    if coupon.type == DiscountType.PERCENTAGE:
        params["percent_off"] = float(coupon.discount_value)
    else:
        currency = coupon.currency or "USD"
        params["amount_off"] = int(to_minor_units(coupon.discount_value, currency))
        params["currency"] = currency.lower()
    if coupon.duration_in_months is None:
        params["duration"] = "forever"
    else:
        params["duration"] = "repeating"
        params["duration_in_months"] = coupon.duration_in_months
    try:
        gw.call(lambda: gw.stripe.v1.coupons.retrieve(coupon_id))
    except BillingResourceMissing:
        gw.call(
            lambda: gw.stripe.v1.coupons.create(
                params, {"idempotency_key": idempotency_key("coupon.create", coupon_id)}
            )
        )
        log.info("stripe.coupon.created", ref_id=coupon.ref_id, billing_id=coupon_id)
    coupon.billing_id = coupon_id
    session.add(coupon)
    session.flush()
    return coupon_id


def ensure_promotion_code(session: Session, code: PromotionCode) -> str:
    if code.billing_id is not None:
        return code.billing_id
    coupon = session.get(Coupon, code.coupon_id)
    assert coupon is not None
    coupon_id = ensure_coupon(session, coupon)
    gw = gateway()
    found = gw.call(
        lambda: gw.stripe.v1.promotion_codes.list({"code": code.code, "active": True, "limit": 10})
    )
    match = next((p for p in found.data if _coupon_of(p) == coupon_id), None)
    if match is None:
        match = gw.call(
            lambda: gw.stripe.v1.promotion_codes.create(
                {
                    "promotion": {"type": "coupon", "coupon": coupon_id},
                    "code": code.code,
                    "metadata": {"billing_sync_environment_id": code.environment_id},
                },
                {"idempotency_key": idempotency_key("promotion_code.create", code.id)},
            )
        )
        log.info("stripe.promotion_code.created", code=code.code, billing_id=match.id)
    code.billing_id = match.id
    session.add(code)
    session.flush()
    return match.id


def _coupon_of(promotion_code: object) -> str | None:
    promotion = getattr(promotion_code, "promotion", None)
    coupon = getattr(promotion, "coupon", None) if promotion is not None else None
    if coupon is None:
        coupon = getattr(promotion_code, "coupon", None)
    return coupon if isinstance(coupon, str) else getattr(coupon, "id", None)


def sync_catalog(session: Session, environment_id: str) -> int:
    """Make sure every active price, coupon and promotion code exists in Stripe."""
    count = 0
    for kind in (PackageKind.PLAN, PackageKind.ADDON):
        for package in catalog.latest_packages(session, environment_id, kind):
            for price in catalog.prices_of(session, package.id):
                ensure_price(session, price)
                count += 1
    for coupon in session.exec(
        select(Coupon).where(
            Coupon.environment_id == environment_id, Coupon.status == CatalogStatus.ACTIVE
        )
    ):
        ensure_coupon(session, coupon)
        count += 1
    for code in session.exec(
        select(PromotionCode).where(
            PromotionCode.environment_id == environment_id,
            PromotionCode.status == CatalogStatus.ACTIVE,
        )
    ):
        ensure_promotion_code(session, code)
        count += 1
    return count
