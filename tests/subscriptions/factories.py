"""A small catalog and helpers for subscription tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, select

from app.catalog.schemas import parse_catalog
from app.catalog.service import apply_catalog
from app.customers.service import provision_customer
from app.models import Customer, Environment, Subscription
from app.subscriptions import service
from tests.conftest import apply_recorded

T0 = datetime(2024, 1, 31, 12, 0, tzinfo=UTC)


def price(period: str, amount: str, **extra: Any) -> dict[str, Any]:
    return {
        "billingPeriod": period,
        "billingModel": "FLAT_FEE",
        "amount": amount,
        "currency": "USD",
        **extra,
    }


def catalog_data() -> dict[str, Any]:
    return {
        "products": [
            {
                "id": "app",
                "displayName": "App",
                "customerJourney": {"initialPlan": "free", "fallbackPlan": "free"},
            },
            {"id": "sites", "displayName": "Sites", "multipleSubscriptions": True},
        ],
        "features": [
            {
                "id": "seats",
                "displayName": "Seats",
                "featureType": "NUMBER",
                "meterType": "Fluctuating",
            },
            {"id": "sso", "displayName": "SSO", "featureType": "BOOLEAN"},
        ],
        "plans": [
            {
                "id": "free",
                "product": "app",
                "displayName": "Free",
                "pricingType": "FREE",
                "compatibleAddons": ["extra"],
            },
            {
                "id": "basic",
                "product": "app",
                "displayName": "Basic",
                "pricingType": "PAID",
                "prices": [price("MONTHLY", "10"), price("ANNUALLY", "100")],
                "compatibleAddons": ["extra"],
            },
            {
                "id": "pro",
                "product": "app",
                "displayName": "Pro",
                "pricingType": "PAID",
                "prices": [
                    price(
                        "MONTHLY",
                        "20",
                        countryPrices=[{"country": "DK", "amount": "150", "currency": "DKK"}],
                    ),
                    {
                        "billingPeriod": "MONTHLY",
                        "billingModel": "PER_UNIT",
                        "feature": "seats",
                        "amount": "5",
                        "currency": "USD",
                        "maxUnitQuantity": 100,
                        "countryPrices": [{"country": "DK", "amount": "35", "currency": "DKK"}],
                    },
                ],
                "trial": {"days": 14, "endBehavior": "CONVERT_TO_PAID"},
                "compatibleAddons": ["extra"],
            },
            {
                "id": "enterprise",
                "product": "app",
                "displayName": "Enterprise",
                "pricingType": "PAID",
                "prices": [price("MONTHLY", "500")],
                "trial": {"days": 7, "endBehavior": "CANCEL_SUBSCRIPTION"},
            },
            {
                "id": "site",
                "product": "sites",
                "displayName": "Site",
                "pricingType": "PAID",
                "prices": [price("MONTHLY", "3")],
            },
        ],
        "addons": [
            {
                "id": "extra",
                "product": "app",
                "displayName": "Extra",
                "prices": [price("MONTHLY", "4"), price("ANNUALLY", "40")],
                "maxQuantity": 3,
            },
            {
                "id": "loose",
                "product": "app",
                "displayName": "Loose",
                "prices": [price("MONTHLY", "1")],
            },
        ],
        "coupons": [
            {"id": "half", "name": "Half off", "type": "PERCENTAGE", "discountValue": 50},
            {
                "id": "gone",
                "name": "Gone",
                "type": "PERCENTAGE",
                "discountValue": 10,
                "status": "ARCHIVED",
            },
        ],
        "promotionCodes": [
            {"code": "HALF50", "coupon": "half"},
            {"code": "OLD10", "coupon": "gone"},
        ],
    }


def apply(session: Session, environment: Environment, data: dict[str, Any]) -> None:
    def run() -> None:
        apply_catalog(session, environment, parse_catalog(data))
        session.commit()

    apply_recorded(session, environment, json.dumps(data, sort_keys=True, default=str), run)


def customer(session: Session, environment: Environment, customer_id: str = "c-1") -> Customer:
    result = provision_customer(session, environment, {"customerId": customer_id})
    session.commit()
    return result.customer


def provision(session: Session, environment: Environment, **fields: Any) -> Subscription:
    fields.setdefault("customerId", "c-1")
    outcome = service.provision_subscription(session, environment, fields)
    session.commit()
    return outcome.subscription


def of_customer(session: Session, customer_id: str = "c-1") -> list[Subscription]:
    session.expire_all()
    query = (
        select(Subscription)
        .join(Customer, Customer.id == Subscription.customer_id)
        .where(Customer.customer_id == customer_id)
    )
    return list(session.exec(query.order_by(Subscription.created_at)))  # type: ignore[arg-type]


def states(session: Session, customer_id: str = "c-1") -> list[tuple[str, str, bool]]:
    """(plan ref, status, is_trial) of each of the customer's subscriptions, oldest first."""
    from app.models import Package

    result = []
    for sub in of_customer(session, customer_id):
        plan = session.get(Package, sub.plan_id)
        assert plan is not None
        result.append((plan.ref_id, sub.status, sub.is_trial))
    return result
