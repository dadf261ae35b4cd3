"""Validated promotional-entitlement requests, with the platform's input names.

Only the shape of a request is checked here; what depends on the customer, the feature
or the time of the call is checked by ``app.entitlements.promotions``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.catalog.fields import Quantity
from app.models.catalog import MonthlyAccordingTo, ResetPeriod, WeeklyAccordingTo, YearlyAccordingTo
from app.models.entitlements import PromotionalEntitlementPeriod
from app.validation import as_utc, check_moment

MAX_GRANTS: Final = 100

# The ``accordingTo`` values each reset period may be configured with.
_ACCORDING_TO: Final[dict[ResetPeriod, frozenset[str]]] = {
    ResetPeriod.MONTH: frozenset(MonthlyAccordingTo),
    ResetPeriod.WEEK: frozenset(WeeklyAccordingTo),
    ResetPeriod.YEAR: frozenset(YearlyAccordingTo),
}
_ISO_TIME = "must be an ISO 8601 time with an offset, e.g. 2030-01-31T10:00:00Z"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _iso_time(value: Any) -> Any:
    """An ISO 8601 text with its offset; a bare number is not taken for a Unix time."""
    if value is None or isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(_ISO_TIME) from None
    else:
        raise ValueError(_ISO_TIME)
    if moment is not None and moment.tzinfo is None:
        raise ValueError(_ISO_TIME)
    return None if moment is None else as_utc(moment)


class PromotionalEntitlementGrant(_Strict):
    """One feature granted to the customer (``GrantPromotionalEntitlementInput``)."""

    featureId: str = Field(min_length=1, max_length=255)
    period: PromotionalEntitlementPeriod
    customEndDate: datetime | None = None
    usageLimit: Quantity | None = None
    hasUnlimitedUsage: bool | None = None
    hasSoftLimit: bool | None = None
    enumValues: list[str] | None = None
    isVisible: bool | None = None
    resetPeriod: ResetPeriod | None = None
    # The ``accordingTo`` of the reset period's configuration input: the GraphQL
    # adapter reads it from the one configuration that fits ``resetPeriod``.
    resetAccordingTo: str | None = None

    _custom_end = field_validator("customEndDate", mode="before")(_iso_time)
    _custom_end_range = field_validator("customEndDate")(check_moment)

    @model_validator(mode="after")
    def _according_to_fits(self) -> PromotionalEntitlementGrant:
        chosen = self.resetAccordingTo
        if chosen is None:
            return self
        allowed = _ACCORDING_TO.get(self.resetPeriod) if self.resetPeriod else None
        if allowed is None or chosen not in allowed:
            raise ValueError(
                f"resetAccordingTo {chosen!r} does not apply to resetPeriod {self.resetPeriod}"
            )
        return self

    @property
    def visible(self) -> bool:
        return True if self.isVisible is None else self.isVisible


class GrantPromotionalEntitlements(_Strict):
    """``GrantPromotionalEntitlementsInput``."""

    customerId: str
    environmentId: str | None = None
    promotionalEntitlements: list[PromotionalEntitlementGrant]

    @field_validator("promotionalEntitlements", mode="before")
    @classmethod
    def _count(cls, value: Any) -> Any:
        if isinstance(value, list) and not 1 <= len(value) <= MAX_GRANTS:
            raise ValueError(f"must hold 1 to {MAX_GRANTS} grants, not {len(value)}")
        return value


class RevokePromotionalEntitlement(_Strict):
    """``RevokePromotionalEntitlementInput``."""

    customerId: str
    environmentId: str | None = None
    featureId: str = Field(min_length=1, max_length=255)
