"""Each bad request is refused with a code, and nothing is created."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from app.errors import AppError
from app.models import Environment, Subscription
from app.subscriptions import service
from tests.subscriptions.factories import apply, catalog_data, provision

CASES = [
    ({"planId": "nope"}, "PLAN_NOT_FOUND"),
    ({"planId": "basic"}, "BILLING_PERIOD_REQUIRED"),
    (
        {"planId": "site", "billingPeriod": "ANNUALLY", "resourceId": "r"},
        "BILLING_PERIOD_NOT_PRICED",
    ),
    ({"planId": "basic", "billingPeriod": "WEEKLY"}, "BAD_USER_INPUT"),
    (
        {"planId": "basic", "billingPeriod": "MONTHLY", "addons": [{"addonId": "nope"}]},
        "ADDON_NOT_FOUND",
    ),
    (
        {"planId": "basic", "billingPeriod": "MONTHLY", "addons": [{"addonId": "loose"}]},
        "ADDON_NOT_COMPATIBLE_WITH_PLAN",
    ),
    (
        {
            "planId": "basic",
            "billingPeriod": "MONTHLY",
            "addons": [{"addonId": "extra", "quantity": 0}],
        },
        "INVALID_QUANTITY",
    ),
    (
        {
            "planId": "basic",
            "billingPeriod": "MONTHLY",
            "addons": [{"addonId": "extra", "quantity": 4}],
        },
        "INVALID_QUANTITY",
    ),
    (
        {
            "planId": "pro",
            "billingPeriod": "MONTHLY",
            "billableFeatures": [{"featureId": "nope", "quantity": 1}],
        },
        "FEATURE_NOT_FOUND",
    ),
    (
        {
            "planId": "pro",
            "billingPeriod": "MONTHLY",
            "billableFeatures": [{"featureId": "sso", "quantity": 1}],
        },
        "BILLABLE_FEATURE_REQUIRED",
    ),
    (
        {
            "planId": "pro",
            "billingPeriod": "MONTHLY",
            "billableFeatures": [{"featureId": "seats", "quantity": 101}],
        },
        "INVALID_QUANTITY",
    ),
    ({"planId": "pro", "billingPeriod": "MONTHLY", "unitQuantity": 1.5}, "BAD_USER_INPUT"),
    (
        {"planId": "basic", "billingPeriod": "MONTHLY", "promotionCode": "NOPE"},
        "PROMOTION_CODE_INVALID",
    ),
    (
        {"planId": "basic", "billingPeriod": "MONTHLY", "promotionCode": "OLD10"},
        "PROMOTION_CODE_INVALID",
    ),
    (
        {"planId": "basic", "billingPeriod": "MONTHLY", "appliedCoupon": {"couponId": "gone"}},
        "PROMOTION_CODE_INVALID",
    ),
    ({"planId": "basic", "billingPeriod": "MONTHLY", "customerId": "nobody"}, "CUSTOMER_NOT_FOUND"),
    (
        {"planId": "basic", "billingPeriod": "MONTHLY", "startDate": "2024-01-01T00:00:00"},
        "BAD_USER_INPUT",
    ),
]


@pytest.mark.parametrize(("fields", "code"), CASES)
def test_bad_provision_is_refused_and_creates_nothing(
    world: Session, environment: Environment, fields: dict[str, Any], code: str
) -> None:
    provision(world, environment, planId="free")
    before = world.exec(select(Subscription)).all()
    snapshot = [(s.id, s.status, s.updated_at) for s in before]
    with pytest.raises(AppError) as raised:
        service.provision_subscription(world, environment, {"customerId": "c-1", **fields})
    world.rollback()
    assert raised.value.code == code
    world.expire_all()
    assert [(s.id, s.status, s.updated_at) for s in world.exec(select(Subscription)).all()] == (
        snapshot
    )


def test_promotion_code_applies_its_coupon_in_any_case(
    world: Session, environment: Environment
) -> None:
    sub = provision(
        world, environment, planId="basic", billingPeriod="MONTHLY", promotionCode="half50"
    )
    totals = service.view(world, sub).totals
    assert totals is not None
    assert (totals.sub_total, totals.discount, totals.total) == (10, 5, 5)


@pytest.mark.parametrize(("minimum", "bought"), [(None, 1), (3, 3)])
def test_a_per_unit_price_given_no_quantity_is_bought_and_billed_at_its_minimum(
    world: Session, environment: Environment, minimum: int | None, bought: int
) -> None:
    data = catalog_data()
    (pro,) = [plan for plan in data["plans"] if plan["id"] == "pro"]
    (seats,) = [p for p in pro["prices"] if p["billingModel"] == "PER_UNIT"]
    if minimum is not None:
        seats["minUnitQuantity"] = minimum
        apply(world, environment, data)
    sub = provision(world, environment, planId="pro", billingPeriod="MONTHLY", skipTrial=True)
    view = service.view(world, sub)
    (line,) = [p for p in view.plan_prices if p.feature and p.feature.ref_id == "seats"]
    assert line.quantity == bought
    assert view.totals is not None
    assert view.totals.sub_total == 20 + 5 * bought
