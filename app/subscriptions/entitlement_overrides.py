"""Per-subscription entitlement values (``subscriptionEntitlements``).

A value given for a feature replaces what the plan grants of it for this subscription
alone; addons still add to it. Only NUMBER features have values to replace. The list
given on a provision or an update is the subscription's whole set: an update without
the field keeps the set, with an empty list clears it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlmodel import Session, select

from app.catalog import repository as catalog
from app.errors import ValidationFailed
from app.models import Environment, Subscription, SubscriptionEntitlement
from app.models.catalog import (
    FeatureType,
    MeterType,
    MonthlyAccordingTo,
    ResetPeriod,
    WeeklyAccordingTo,
    YearlyAccordingTo,
)
from app.subscriptions.errors import FeatureNotFound

MAX_LIMIT = Decimal("99999999999999")


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MonthlyConfig(_Config):
    accordingTo: MonthlyAccordingTo


class WeeklyConfig(_Config):
    accordingTo: WeeklyAccordingTo


class YearlyConfig(_Config):
    accordingTo: YearlyAccordingTo


class SubscriptionEntitlementRequest(_Config):
    featureId: Annotated[str, Field(min_length=1, max_length=255)]
    usageLimit: Annotated[Decimal | None, Field(ge=0, le=MAX_LIMIT, decimal_places=6)] = None
    hasUnlimitedUsage: bool | None = None
    hasSoftLimit: bool | None = None
    resetPeriod: ResetPeriod | None = None
    monthlyResetPeriodConfiguration: MonthlyConfig | None = None
    weeklyResetPeriodConfiguration: WeeklyConfig | None = None
    yearlyResetPeriodConfiguration: YearlyConfig | None = None
    description: Annotated[str | None, Field(max_length=5000)] = None

    @model_validator(mode="after")
    def _consistent(self) -> SubscriptionEntitlementRequest:
        if self.hasUnlimitedUsage and self.usageLimit is not None:
            raise ValueError("give usageLimit or hasUnlimitedUsage: true, not both")
        if not self.hasUnlimitedUsage and self.usageLimit is None:
            raise ValueError("needs usageLimit or hasUnlimitedUsage: true")
        configurations = {
            ResetPeriod.MONTH: (
                "monthlyResetPeriodConfiguration",
                self.monthlyResetPeriodConfiguration,
            ),
            ResetPeriod.WEEK: (
                "weeklyResetPeriodConfiguration",
                self.weeklyResetPeriodConfiguration,
            ),
            ResetPeriod.YEAR: (
                "yearlyResetPeriodConfiguration",
                self.yearlyResetPeriodConfiguration,
            ),
        }
        for period, (name, value) in configurations.items():
            if value is not None and self.resetPeriod != period:
                raise ValueError(f"{name} needs resetPeriod {period.value}")
        return self

    @property
    def according_to(self) -> str | None:
        for value in (
            self.monthlyResetPeriodConfiguration,
            self.weeklyResetPeriodConfiguration,
            self.yearlyResetPeriodConfiguration,
        ):
            if value is not None:
                return str(value.accordingTo.value)
        return None


class UpdateSubscriptionEntitlementRequest(SubscriptionEntitlementRequest):
    # The platform's update names an existing value by its id; the feature decides here.
    id: Annotated[str | None, Field(min_length=1, max_length=36)] = None


def resolve(
    session: Session,
    environment: Environment,
    requests: list[SubscriptionEntitlementRequest],
    field: str = "input.subscriptionEntitlements",
) -> list[SubscriptionEntitlement]:
    """The rows the requests become (not yet attached), or an error naming the entry."""
    rows: list[SubscriptionEntitlement] = []
    seen: dict[str, int] = {}
    for index, request in enumerate(requests):
        path = f"{field}[{index}]"
        if request.featureId in seen:
            raise ValidationFailed(
                f"{path}.featureId: feature {request.featureId!r} is given twice "
                f"(also [{seen[request.featureId]}])",
                field=f"{path}.featureId",
            )
        seen[request.featureId] = index
        feature = catalog.feature_by_ref(session, environment.id, request.featureId)
        if feature is None:
            raise FeatureNotFound(
                f"{path}.featureId: feature {request.featureId!r} not found",
                field=f"{path}.featureId",
            )
        if feature.feature_type != FeatureType.NUMBER.value:
            raise ValidationFailed(
                f"{path}.featureId: feature {request.featureId!r} is {feature.feature_type}; "
                "only NUMBER features have values a subscription can change",
                field=f"{path}.featureId",
            )
        if request.resetPeriod is not None and feature.meter_type != MeterType.INCREMENTAL.value:
            raise ValidationFailed(
                f"{path}.resetPeriod: feature {request.featureId!r} is not counted up "
                f"(meter type {feature.meter_type}), so its usage never resets",
                field=f"{path}.resetPeriod",
            )
        rows.append(
            SubscriptionEntitlement(
                subscription_id="",
                feature_id=feature.id,
                description=request.description,
                usage_limit=request.usageLimit,
                has_unlimited_usage=bool(request.hasUnlimitedUsage),
                has_soft_limit=bool(request.hasSoftLimit),
                reset_period=request.resetPeriod.value if request.resetPeriod else None,
                reset_according_to=request.according_to,
            )
        )
    return rows


def check_ids(
    session: Session,
    subscription: Subscription,
    requests: list[UpdateSubscriptionEntitlementRequest],
    field: str = "input.subscriptionEntitlements",
) -> None:
    """An entry that names an id must name one of this subscription's values."""
    known = set(
        session.exec(
            select(SubscriptionEntitlement.id).where(
                SubscriptionEntitlement.subscription_id == subscription.id
            )
        )
    )
    for index, request in enumerate(requests):
        if request.id is not None and request.id not in known:
            raise ValidationFailed(
                f"{field}[{index}].id: subscription {subscription.ref_id!r} has no "
                f"entitlement value {request.id!r}",
                field=f"{field}[{index}].id",
            )


def replace_all(
    session: Session, subscription: Subscription, rows: list[SubscriptionEntitlement]
) -> None:
    current = session.exec(
        select(SubscriptionEntitlement).where(
            SubscriptionEntitlement.subscription_id == subscription.id
        )
    )
    for old in current:
        session.delete(old)
    session.flush()
    for row in rows:
        row.subscription_id = subscription.id
        session.add(row)
    session.flush()
