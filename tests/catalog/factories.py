"""Catalog data for tests: the shipped example as plain data, and a small catalog."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

from app.catalog.documents import read_document
from app.catalog.schemas import parse_catalog
from app.catalog.service import ApplyReport, apply_catalog
from app.errors import CatalogInvalid
from app.models import (
    Coupon,
    Environment,
    Feature,
    Package,
    PackageEntitlement,
    PackagePrice,
    Product,
    PromotionCode,
)
from tests.conftest import EXAMPLE_CATALOG

CATALOG_TABLES: tuple[type[SQLModel], ...] = (
    Product,
    Feature,
    Package,
    PackagePrice,
    PackageEntitlement,
    Coupon,
    PromotionCode,
)


def example_data() -> dict[str, Any]:
    """The example catalog as the file's data, fresh each call so tests may edit it."""
    data = read_document(EXAMPLE_CATALOG.read_text(), EXAMPLE_CATALOG.name)
    assert isinstance(data, dict)
    return data


def small_catalog() -> dict[str, Any]:
    """One product with a free and a paid plan, one addon, one coupon and one code."""
    return {
        "products": [
            {
                "id": "app",
                "displayName": "App",
                "customerJourney": {"initialPlan": "free", "fallbackPlan": "free"},
            }
        ],
        "features": [
            {"id": "seats", "displayName": "Seats", "featureType": "NUMBER"},
            {"id": "sso", "displayName": "SSO", "featureType": "BOOLEAN"},
        ],
        "plans": [
            {
                "id": "free",
                "product": "app",
                "displayName": "Free",
                "pricingType": "FREE",
                "entitlements": [{"feature": "seats", "usageLimit": 2}],
            },
            {
                "id": "pro",
                "product": "app",
                "displayName": "Pro",
                "pricingType": "PAID",
                "prices": [
                    {
                        "billingPeriod": "MONTHLY",
                        "billingModel": "FLAT_FEE",
                        "amount": "20",
                        "currency": "USD",
                        "countryPrices": [{"country": "DK", "amount": "150", "currency": "DKK"}],
                    }
                ],
                "entitlements": [{"feature": "seats", "unlimited": True}, {"feature": "sso"}],
                "compatibleAddons": ["more-seats"],
            },
        ],
        "addons": [
            {
                "id": "more-seats",
                "product": "app",
                "displayName": "More seats",
                "prices": [
                    {
                        "billingPeriod": "MONTHLY",
                        "billingModel": "FLAT_FEE",
                        "amount": "5",
                        "currency": "USD",
                    }
                ],
                "entitlements": [{"feature": "seats", "usageLimit": 5}],
                "maxQuantity": 3,
            }
        ],
        "coupons": [
            {"id": "half", "name": "Half off", "type": "PERCENTAGE", "discountValue": 50},
        ],
        "promotionCodes": [{"code": "half50", "coupon": "half"}],
    }


def set_at(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """An edit of a catalog's data at a dotted path (list indices as numbers)."""

    def edit(data: dict[str, Any]) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        node: Any = data
        for part in parents:
            node = node[part]
        node[last] = value

    return edit


def problems_of(data: object) -> list[str]:
    """The problems ``parse_catalog`` reports; fails the test if there are none."""
    try:
        parse_catalog(data)
    except CatalogInvalid as exc:
        return exc.problems
    raise AssertionError("the catalog was accepted")


def apply(session: Session, environment: Environment, data: object) -> ApplyReport:
    """Parse, apply and commit, as the CLI does."""
    report = apply_catalog(session, environment, parse_catalog(data))
    session.commit()
    return report


def row_counts(session: Session) -> dict[str, int]:
    return {
        str(model.__tablename__): session.exec(select(func.count()).select_from(model)).one()
        for model in CATALOG_TABLES
    }
