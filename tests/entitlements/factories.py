"""A catalog that exercises every entitlement rule, and helpers to check against it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from app.catalog.schemas import parse_catalog
from app.catalog.service import apply_catalog
from app.customers.service import provision_customer
from app.entitlements import service
from app.entitlements.decision import Decision
from app.entitlements.usage import UsageReport
from app.models import Customer, Environment, Feature, PromotionalEntitlement, Subscription
from app.models.entitlements import UsageUpdateBehavior
from app.subscriptions import service as subscriptions
from tests.conftest import apply_recorded

# A month-end start: periods run Jan 31 -> Feb 29 -> Mar 31 (2024 is a leap year).
T0 = datetime(2024, 1, 31, 12, 0, tzinfo=UTC)


def _price(amount: str, **extra: Any) -> dict[str, Any]:
    return {
        "billingPeriod": "MONTHLY",
        "billingModel": "FLAT_FEE",
        "amount": amount,
        "currency": "USD",
        **extra,
    }


def _number(feature: str, limit: int | None = None, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"feature": feature, **extra}
    if limit is not None:
        entry["usageLimit"] = limit
    return entry


def catalog_data() -> dict[str, Any]:
    return {
        "products": [
            {"id": "app", "displayName": "App"},
            {"id": "ws", "displayName": "Workspaces", "multipleSubscriptions": True},
        ],
        "features": [
            {
                "id": "seats",
                "displayName": "Seats",
                "featureType": "NUMBER",
                "meterType": "Fluctuating",
                "units": "seat",
                "unitsPlural": "seats",
            },
            {
                "id": "api-calls",
                "displayName": "API calls",
                "featureType": "NUMBER",
                "meterType": "Incremental",
            },
            {
                "id": "projects",
                "displayName": "Projects",
                "featureType": "NUMBER",
                "meterType": "Incremental",
            },
            {"id": "storage", "displayName": "Storage GB", "featureType": "NUMBER"},
            {"id": "sso", "displayName": "SSO", "featureType": "BOOLEAN"},
            {
                "id": "region",
                "displayName": "Region",
                "featureType": "ENUM",
                "enumValues": [
                    {"value": "eu", "displayName": "EU"},
                    {"value": "us", "displayName": "US"},
                    {"value": "apac", "displayName": "APAC"},
                ],
            },
            {
                "id": "exports",
                "displayName": "Exports",
                "featureType": "NUMBER",
                "meterType": "Incremental",
            },
        ],
        "plans": [
            {
                "id": "free",
                "product": "app",
                "displayName": "Free",
                "pricingType": "FREE",
                "entitlements": [
                    _number("seats", 2),
                    _number("api-calls", 100, resetPeriod="MONTH"),
                    _number("projects", 3),
                    _number("storage", 5),
                    {"feature": "region", "enumValues": ["eu"]},
                ],
                "compatibleAddons": ["more-seats", "big-seats"],
            },
            {
                "id": "pro",
                "product": "app",
                "displayName": "Pro",
                "pricingType": "PAID",
                "basePlan": "free",
                "prices": [_price("20")],
                "trial": {"days": 14},
                "entitlements": [
                    _number("seats", 10),
                    _number(
                        "api-calls",
                        1000,
                        resetPeriod="MONTH",
                        resetPeriodConfiguration={"accordingTo": "StartOfTheMonth"},
                    ),
                    {"feature": "sso"},
                ],
                "compatibleAddons": ["more-seats", "big-seats"],
            },
            {
                "id": "pro-lite",
                "product": "app",
                "displayName": "Pro lite",
                "pricingType": "PAID",
                "basePlan": "pro",
                "prices": [_price("15")],
                "entitlements": [{"feature": "sso", "isGranted": False}],
            },
            {
                "id": "scale",
                "product": "app",
                "displayName": "Scale",
                "pricingType": "PAID",
                "prices": [_price("99")],
                "entitlements": [
                    _number("api-calls", unlimited=True),
                    _number("seats", 5, hasSoftLimit=True),
                    _number("exports", 10, resetPeriod="DAY"),
                    _number("projects", 4, resetPeriod="HOUR"),
                    _number("storage", 50, resetPeriod=None),
                ],
            },
            {
                "id": "yearly",
                "product": "app",
                "displayName": "Yearly",
                "pricingType": "FREE",
                "entitlements": [
                    _number("exports", 100, resetPeriod="YEAR"),
                    _number("api-calls", 7, resetPeriod="WEEK"),
                ],
            },
            {
                "id": "team",
                "product": "app",
                "displayName": "Team",
                "pricingType": "PAID",
                "prices": [
                    _price("0"),
                    {
                        "billingPeriod": "MONTHLY",
                        "billingModel": "PER_UNIT",
                        "feature": "seats",
                        "amount": "4",
                        "currency": "USD",
                        "maxUnitQuantity": 100,
                    },
                ],
                "entitlements": [{"feature": "region", "enumValues": ["us"]}],
            },
            {
                "id": "ws-plan",
                "product": "ws",
                "displayName": "Workspace",
                "pricingType": "FREE",
                "entitlements": [
                    _number(
                        "exports",
                        10,
                        resetPeriod="WEEK",
                        resetPeriodConfiguration={"accordingTo": "EveryMonday"},
                    ),
                    _number("projects", 20),
                ],
            },
        ],
        "addons": [
            {
                "id": "more-seats",
                "product": "app",
                "displayName": "More seats",
                "prices": [_price("5")],
                "maxQuantity": 10,
                "entitlements": [_number("seats", 5)],
            },
            {
                "id": "big-seats",
                "product": "app",
                "displayName": "Big seats",
                "prices": [_price("50")],
                "entitlements": [_number("seats", 50, behavior="Override")],
            },
        ],
    }


FREE_PLANS = {"free", "yearly", "ws-plan"}


def apply(session: Session, environment: Environment) -> None:
    def run() -> None:
        apply_catalog(session, environment, parse_catalog(catalog_data()))
        session.commit()

    apply_recorded(session, environment, json.dumps(catalog_data(), sort_keys=True), run)


def customer(session: Session, environment: Environment, customer_id: str = "c-1") -> Customer:
    result = provision_customer(session, environment, {"customerId": customer_id})
    session.commit()
    return result.customer


def subscribe(
    session: Session, environment: Environment, plan: str, customer_id: str = "c-1", **fields: Any
) -> Subscription:
    if plan not in FREE_PLANS or "addons" in fields:
        fields.setdefault("billingPeriod", "MONTHLY")
    outcome = subscriptions.provision_subscription(
        session, environment, {"customerId": customer_id, "planId": plan, **fields}
    )
    session.commit()
    return outcome.subscription


def promote(
    session: Session,
    environment: Environment,
    feature: str,
    customer_id: str = "c-1",
    *,
    start: datetime = T0,
    days: int | None = 30,
    **fields: Any,
) -> PromotionalEntitlement:
    from sqlmodel import select

    owner = session.exec(
        select(Customer).where(
            Customer.environment_id == environment.id, Customer.customer_id == customer_id
        )
    ).one()
    row = session.exec(
        select(Feature).where(Feature.environment_id == environment.id, Feature.ref_id == feature)
    ).one()
    promotion = PromotionalEntitlement(
        environment_id=environment.id,
        customer_id=owner.id,
        feature_id=row.id,
        period="CUSTOM" if days is not None else "LIFETIME",
        start_date=start,
        end_date=start + timedelta(days=days) if days is not None else None,
        **fields,
    )
    session.add(promotion)
    session.commit()
    return promotion


def check(
    session: Session,
    environment: Environment,
    feature: str,
    customer_id: str = "c-1",
    *,
    resource: str | None = None,
    requested: int | None = None,
    values: tuple[str, ...] | None = None,
) -> Decision:
    decision = service.check(
        session,
        environment,
        service.CheckQuery(
            customer_ref=customer_id,
            feature_ref=feature,
            resource_id=resource,
            requested_usage=Decimal(requested) if requested is not None else None,
            requested_values=values,
        ),
    )
    session.commit()
    return decision


def report(
    session: Session,
    environment: Environment,
    feature: str,
    value: int,
    customer_id: str = "c-1",
    *,
    behavior: UsageUpdateBehavior = UsageUpdateBehavior.DELTA,
    key: str | None = None,
    resource: str | None = None,
) -> Decimal:
    (measured,) = service.report_usage(
        session,
        environment,
        [
            UsageReport(
                customer_ref=customer_id,
                feature_ref=feature,
                value=Decimal(value),
                behavior=behavior,
                idempotency_key=key,
                resource_id=resource,
            )
        ],
    )
    session.commit()
    assert measured.row.current_usage is not None
    return measured.row.current_usage
