"""Every input time is held as UTC from where it enters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from app.catalog.schemas import PromotionCodeSpec
from app.entitlements.promotions_schemas import PromotionalEntitlementGrant
from app.entitlements.schemas import ReportUsageInput
from app.errors import ValidationFailed
from app.pricing.estimates import EstimateRequest
from app.subscriptions.schemas import ProvisionRequest
from app.validation import as_utc, validate

WITH_OFFSET = "2026-01-30T20:00:00-05:00"
INSTANT = datetime(2026, 1, 31, 1, 0, tzinfo=UTC)

INPUTS: dict[str, tuple[type[BaseModel], dict[str, Any], str]] = {
    "subscription startDate": (
        ProvisionRequest,
        {"customerId": "c-1", "planId": "p", "startDate": WITH_OFFSET},
        "startDate",
    ),
    "estimate startDate": (
        EstimateRequest,
        {"customerId": "c-1", "planId": "p", "startDate": WITH_OFFSET},
        "startDate",
    ),
    "usage createdAt": (
        ReportUsageInput,
        {"customerId": "c-1", "featureId": "f", "value": 1, "createdAt": WITH_OFFSET},
        "createdAt",
    ),
    "promotional customEndDate": (
        PromotionalEntitlementGrant,
        {"featureId": "f", "period": "CUSTOM", "customEndDate": WITH_OFFSET},
        "customEndDate",
    ),
    "promotion code expires_at": (
        PromotionCodeSpec,
        {"code": "SPRING", "coupon": "c", "expiresAt": WITH_OFFSET},
        "expires_at",
    ),
}


@pytest.mark.parametrize("name", list(INPUTS))
def test_an_input_time_with_an_offset_is_held_as_utc(name: str) -> None:
    model, data, field = INPUTS[name]
    moment = getattr(model.model_validate(data), field)
    assert moment == INSTANT
    assert moment.tzinfo is UTC


def test_a_time_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        as_utc(datetime(2026, 1, 31))


def test_a_time_that_leaves_the_calendar_in_utc_is_refused_clearly() -> None:
    data = {"customerId": "c-1", "featureId": "f", "value": 1}
    with pytest.raises(ValidationFailed, match=r"input\.createdAt: .*out of range"):
        validate(ReportUsageInput, {**data, "createdAt": "9999-12-31T23:59:59-05:00"})
