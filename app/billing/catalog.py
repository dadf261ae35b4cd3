"""The catalog in Stripe: a product per plan or addon, a price per local price row,
coupons with their promotion codes, and tax rates.

Everything is found again rather than re-created: products by a deterministic id, prices
by a lookup key made from the local price row id, coupons by a deterministic id, tax
rates (whose ids Stripe chooses) by the metadata that names the local row and its terms,
and each local row remembers its Stripe id. Each function takes a row id, reads it in a short
transaction, calls Stripe with none open, and records the Stripe id in another. Prices
are never edited (Stripe's prices are immutable, and so are a published version's): a
new plan version brings new prices.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, TypeVar

import structlog
from sqlmodel import Session, SQLModel, select
from stripe.params import (
    CouponCreateParams,
    PriceCreateParams,
    ProductCreateParams,
    TaxRateCreateParams,
)

from app.billing import state
from app.billing.client import gateway
from app.billing.errors import BillingError, BillingRequestRejected, BillingResourceMissing
from app.billing.idempotency import idempotency_key
from app.catalog import repository as catalog
from app.catalog.money import to_minor_units
from app.db import in_transaction
from app.models import Coupon, Package, PackagePrice, PromotionCode, TaxRate
from app.models.catalog import BillingPeriod, CatalogStatus, DiscountType, PackageKind

log = structlog.get_logger(__name__)

T = TypeVar("T", bound=SQLModel)

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def _stable_id(prefix: str, environment_id: str, name: str) -> str:
    digest = hashlib.sha256(f"{environment_id}:{name}".encode()).hexdigest()[:12]
    return f"{prefix}_{_UNSAFE.sub('-', name)[:40]}_{digest}"


def price_lookup_key(price: PackagePrice) -> str:
    return f"billing-sync:{price.id}"


def _read(model: type[T], row_id: str) -> T:
    def work(session: Session) -> T:
        row = session.get(model, row_id)
        if row is None:
            raise LookupError(f"{model.__name__} {row_id} does not exist")
        session.expunge(row)
        return row

    return in_transaction(work)


def _record(model: type[SQLModel], row_id: str, billing_id: str) -> None:
    state.set_once(model, row_id, "billing_id", billing_id=billing_id)


def ensure_product(package_id: str) -> str:
    package = _read(Package, package_id)
    if package.billing_id is not None:
        return package.billing_id
    gw = gateway(package.environment_id)
    product_id = _stable_id("bs", package.environment_id, f"{package.kind}-{package.ref_id}")
    try:
        gw.call(lambda: gw.stripe.v1.products.retrieve(product_id))
    except BillingResourceMissing:
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
    _record(Package, package.id, product_id)
    return product_id


# Stripe price ids by price id, once known: a price's is recorded once and never
# changes, so a checkout or a sync does not read it again.
_KNOWN_PRICES_MAX = 10_000
_known_prices: dict[str, str] = {}


def _known_price(price_id: str, billing_id: str) -> str:
    if len(_known_prices) >= _KNOWN_PRICES_MAX:
        _known_prices.clear()
    _known_prices[price_id] = billing_id
    return billing_id


def forget_known_prices() -> None:
    _known_prices.clear()


def ensure_price(price_id: str) -> str:
    known = _known_prices.get(price_id)
    if known is not None:
        return known
    price = _read(PackagePrice, price_id)
    if price.billing_id is not None:
        return _known_price(price_id, price.billing_id)
    package = _read(Package, price.package_id)
    product_id = ensure_product(package.id)
    gw = gateway(package.environment_id)
    key = price_lookup_key(price)
    found = gw.call(lambda: gw.stripe.v1.prices.list({"lookup_keys": [key], "limit": 1}))
    if found.data:
        billing_id = found.data[0].id
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
        billing_id = created.id
        log.info("stripe.price.created", price_id=price.id, billing_id=billing_id)
    _record(PackagePrice, price.id, billing_id)
    return billing_id


def ensure_coupon(coupon_id: str) -> str:
    coupon = _read(Coupon, coupon_id)
    if coupon.billing_id is not None:
        return coupon.billing_id
    gw = gateway(coupon.environment_id)
    terms = f"{coupon.type}:{coupon.discount_value}:{coupon.currency}:{coupon.duration_in_months}"
    stripe_id = _stable_id("bs", coupon.environment_id, f"{coupon.ref_id}-{terms}")
    params: CouponCreateParams = {
        "id": stripe_id,
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
        gw.call(lambda: gw.stripe.v1.coupons.retrieve(stripe_id))
    except BillingResourceMissing:
        gw.call(
            lambda: gw.stripe.v1.coupons.create(
                params, {"idempotency_key": idempotency_key("coupon.create", stripe_id)}
            )
        )
        log.info("stripe.coupon.created", ref_id=coupon.ref_id, billing_id=stripe_id)
    _record(Coupon, coupon.id, stripe_id)
    return stripe_id


def _tax_rate_tags(rate: TaxRate) -> dict[str, str]:
    # The terms are part of what names it: a rate whose percentage changed in the catalog
    # is a new Stripe tax rate (Stripe's percentages never change).
    return {
        "billing_sync_environment_id": rate.environment_id,
        "billing_sync_tax_rate_id": rate.id,
        "billing_sync_terms": f"{rate.percentage.normalize():f}:{rate.inclusive}",
    }


def ensure_tax_rate(tax_rate_id: str) -> str:
    """The Stripe tax rate of a catalog tax rate, created once."""
    rate = _read(TaxRate, tax_rate_id)
    if rate.billing_id is not None:
        return rate.billing_id
    gw = gateway(rate.environment_id)
    tags = _tax_rate_tags(rate)
    listing = gw.call(
        lambda: gw.stripe.v1.tax_rates.list(
            {"active": True, "inclusive": rate.inclusive, "limit": 100}
        )
    )
    billing_id: str | None = None
    for found in listing.auto_paging_iter():
        metadata = found.to_dict().get("metadata") or {}
        if all(metadata.get(key) == value for key, value in tags.items()):
            billing_id = found.id
            break
    if billing_id is None:
        params: TaxRateCreateParams = {
            "display_name": rate.display_name[:50],
            "percentage": float(rate.percentage),
            "inclusive": rate.inclusive,
            "metadata": tags,
        }
        if rate.country:
            params["country"] = rate.country
        key = idempotency_key("tax_rate.create", rate.id, revision=tags["billing_sync_terms"])
        created = gw.call(lambda: gw.stripe.v1.tax_rates.create(params, {"idempotency_key": key}))
        billing_id = created.id
        log.info("stripe.tax_rate.created", ref_id=rate.ref_id, billing_id=billing_id)
    _record(TaxRate, rate.id, billing_id)
    return billing_id


class PromotionCodeTaken(BillingRequestRejected):
    """The Stripe account already has an active promotion code with this code, for
    another coupon (another environment sharing the account)."""

    code = "PROMOTION_CODE_TAKEN"


def ensure_promotion_code(code_id: str) -> str:
    code = _read(PromotionCode, code_id)
    if code.billing_id is not None:
        return code.billing_id
    coupon_id = ensure_coupon(code.coupon_id)
    gw = gateway(code.environment_id)
    found = gw.call(
        lambda: gw.stripe.v1.promotion_codes.list({"code": code.code, "active": True, "limit": 10})
    )
    match = next((p for p in found.data if _coupon_of(p) == coupon_id), None)
    if match is None and found.data:
        raise PromotionCodeTaken(
            f"promotion code {code.code} is in use in this Stripe account by another coupon"
        )
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
    _record(PromotionCode, code.id, match.id)
    return match.id


def _coupon_of(promotion_code: object) -> str | None:
    promotion = getattr(promotion_code, "promotion", None)
    coupon = getattr(promotion, "coupon", None) if promotion is not None else None
    if coupon is None:
        coupon = getattr(promotion_code, "coupon", None)
    return coupon if isinstance(coupon, str) else getattr(coupon, "id", None)


def _active_ids(session: Session, model: Any, environment_id: str) -> list[str]:
    query = select(model.id).where(
        model.environment_id == environment_id, model.status == CatalogStatus.ACTIVE
    )
    return list(session.exec(query))


def sync_catalog(environment_id: str) -> int:
    """Make sure every active price, coupon and promotion code exists in Stripe.

    One object Stripe refuses does not stop the others: it is logged and counted out.
    """

    def ids(session: Session) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for kind in (PackageKind.PLAN, PackageKind.ADDON):
            for package in catalog.latest_packages(session, environment_id, kind):
                found.extend(("price", p.id) for p in catalog.prices_of(session, package.id))
        for name, model in (
            ("coupon", Coupon),
            ("tax_rate", TaxRate),
            ("promotion_code", PromotionCode),
        ):
            found.extend((name, row_id) for row_id in _active_ids(session, model, environment_id))
        return found

    ensure = {
        "price": ensure_price,
        "coupon": ensure_coupon,
        "promotion_code": ensure_promotion_code,
        "tax_rate": ensure_tax_rate,
    }
    count = 0
    for kind, row_id in in_transaction(ids):
        try:
            ensure[kind](row_id)
        except BillingError as exc:
            if exc.retryable:
                raise
            log.warning("stripe.catalog.refused", kind=kind, id=row_id, code=exc.code)
            continue
        count += 1
    return count
