"""Usage report inputs: validated once, with every problem named by its field."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from app.entitlements.usage import UsageReport
from app.models.entitlements import UsageUpdateBehavior
from app.validation import UTCDatetime, check_id

# Usage is stored with 6 decimals and 14 integer digits.
MAX_USAGE = Decimal("99999999999999")
MAX_DIMENSIONS = 50
MAX_DIMENSION_LENGTH = 255


def _storable(text: str) -> bool:
    """Text every database takes: no NUL, no unpaired surrogate (a JSON ``\\ud800``)."""
    if "\x00" in text:
        return False
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _dimensions(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if len(value) > MAX_DIMENSIONS:
        raise ValueError(f"at most {MAX_DIMENSIONS} dimensions")
    for key, item in value.items():
        if not 0 < len(key) <= MAX_DIMENSION_LENGTH or not _storable(key):
            raise ValueError(
                f"dimension names are 1-{MAX_DIMENSION_LENGTH} characters of text without NUL"
            )
        if isinstance(item, str):
            if len(item) > MAX_DIMENSION_LENGTH or not _storable(item):
                raise ValueError(
                    f"dimension {key!r}: text of at most {MAX_DIMENSION_LENGTH} characters, "
                    "without NUL"
                )
        elif isinstance(item, bool):
            continue
        elif isinstance(item, int | float):
            if isinstance(item, float) and not math.isfinite(item):
                raise ValueError(f"dimension {key!r}: must be a finite number")
        elif item is not None:
            raise ValueError(f"dimension {key!r}: must be text, a number, a boolean or null")
    return value


Id = Annotated[str, AfterValidator(check_id)]
Dimensions = Annotated[dict[str, Any] | None, AfterValidator(_dimensions)]
Amount = Annotated[
    Decimal,
    Field(ge=-MAX_USAGE, le=MAX_USAGE, decimal_places=6, allow_inf_nan=False),
]


class ReportUsageInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customerId: Id
    featureId: Id
    value: Amount
    resourceId: Id | None = None
    updateBehavior: UsageUpdateBehavior = UsageUpdateBehavior.DELTA
    idempotencyKey: Id | None = None
    createdAt: UTCDatetime | None = None
    dimensions: Dimensions = None

    @model_validator(mode="after")
    def _set_is_a_count(self) -> ReportUsageInput:
        if self.updateBehavior is UsageUpdateBehavior.SET and self.value < 0:
            raise ValueError("value: SET needs a value >= 0 (DELTA may be negative)")
        return self

    def report(self) -> UsageReport:
        return UsageReport(
            customer_ref=self.customerId,
            feature_ref=self.featureId,
            value=self.value,
            resource_id=self.resourceId,
            behavior=self.updateBehavior,
            idempotency_key=self.idempotencyKey,
            created_at=self.createdAt,
            dimensions=self.dimensions,
        )
