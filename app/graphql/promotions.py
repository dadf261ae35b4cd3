"""Promotional entitlements: the type, its inputs and the grant and revoke mutations."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlmodel import Session

from app.entitlements import promotions as service
from app.entitlements.promotions_schemas import (
    GrantPromotionalEntitlements,
    RevokePromotionalEntitlement,
)
from app.graphql.catalog import Feature
from app.graphql.common import (
    EntitlementResetPeriod,
    PromotionalEntitlementPeriod,
    PromotionalEntitlementStatus,
    iso,
    number,
)
from app.graphql.context import Info, as_dict, run
from app.graphql.reset_periods import (
    MonthlyResetPeriodConfigInput,
    ResetPeriodConfiguration,
    WeeklyResetPeriodConfigInput,
    YearlyResetPeriodConfigInput,
    according_to,
    configuration,
)
from app.models import Environment
from app.validation import validate

UNSET: Any = strawberry.UNSET

_CONFIGURATIONS = (
    "monthlyResetPeriodConfiguration",
    "weeklyResetPeriodConfiguration",
    "yearlyResetPeriodConfiguration",
)


@strawberry.type
class PromotionalEntitlement:
    id: str
    feature_id: str
    feature: Feature
    status: PromotionalEntitlementStatus
    usage_limit: float | None
    has_unlimited_usage: bool | None
    has_soft_limit: bool | None
    enum_values: list[str] | None
    reset_period: EntitlementResetPeriod | None
    reset_period_configuration: ResetPeriodConfiguration | None
    period: PromotionalEntitlementPeriod
    start_date: str
    end_date: str | None
    is_visible: bool
    description: str | None
    created_at: str | None
    updated_at: str | None
    environment_id: str

    @classmethod
    def of(cls, granted: service.GrantedPromotion) -> PromotionalEntitlement:
        row = granted.grant
        return cls(
            id=row.id,
            feature_id=granted.feature.ref_id,
            feature=Feature.of(granted.feature),
            status=granted.status,
            usage_limit=number(row.usage_limit),
            has_unlimited_usage=row.has_unlimited_usage,
            has_soft_limit=row.has_soft_limit,
            enum_values=row.enum_values,
            reset_period=EntitlementResetPeriod(row.reset_period) if row.reset_period else None,
            reset_period_configuration=configuration(row.reset_period, row.reset_according_to),
            period=PromotionalEntitlementPeriod(row.period),
            start_date=iso(row.start_date) or "",
            end_date=iso(row.end_date),
            is_visible=row.is_visible,
            description=row.description,
            created_at=iso(row.created_at),
            updated_at=iso(row.updated_at),
            environment_id=row.environment_id,
        )


@strawberry.input
class GrantPromotionalEntitlementInput:
    feature_id: str
    period: PromotionalEntitlementPeriod
    custom_end_date: str | None = UNSET
    usage_limit: float | None = UNSET
    has_unlimited_usage: bool | None = UNSET
    has_soft_limit: bool | None = UNSET
    enum_values: list[str] | None = UNSET
    is_visible: bool | None = UNSET
    reset_period: EntitlementResetPeriod | None = UNSET
    monthly_reset_period_configuration: MonthlyResetPeriodConfigInput | None = UNSET
    weekly_reset_period_configuration: WeeklyResetPeriodConfigInput | None = UNSET
    yearly_reset_period_configuration: YearlyResetPeriodConfigInput | None = UNSET


@strawberry.input
class GrantPromotionalEntitlementsInput:
    customer_id: str
    environment_id: str | None = UNSET
    promotional_entitlements: list[GrantPromotionalEntitlementInput]


@strawberry.input
class RevokePromotionalEntitlementInput:
    customer_id: str
    environment_id: str | None = UNSET
    feature_id: str


def _grant_request(input: GrantPromotionalEntitlementsInput) -> GrantPromotionalEntitlements:
    """The request as the service takes it: each grant's reset configuration becomes the
    one ``accordingTo`` that fits its reset period."""
    grants = []
    for index, grant in enumerate(input.promotional_entitlements):
        data = as_dict(grant)
        for name in _CONFIGURATIONS:
            data.pop(name, None)
        data["resetAccordingTo"] = according_to(
            grant.reset_period,
            grant.monthly_reset_period_configuration,
            grant.weekly_reset_period_configuration,
            grant.yearly_reset_period_configuration,
            field=f"input.promotionalEntitlements[{index}]",
        )
        grants.append(data)
    data = as_dict(input)
    data["promotionalEntitlements"] = grants
    return validate(GrantPromotionalEntitlements, data)


@strawberry.type
class PromotionalEntitlementMutations:
    @strawberry.mutation
    async def grant_promotional_entitlements(
        self, info: Info, input: GrantPromotionalEntitlementsInput
    ) -> list[PromotionalEntitlement]:
        def call(session: Session, environment: Environment) -> list[PromotionalEntitlement]:
            request = _grant_request(input)
            granted = service.grant_promotional_entitlements(session, environment, request)
            return [PromotionalEntitlement.of(item) for item in granted]

        return await run(info, call)

    @strawberry.mutation
    async def revoke_promotional_entitlement(
        self, info: Info, input: RevokePromotionalEntitlementInput
    ) -> PromotionalEntitlement | None:
        def call(session: Session, environment: Environment) -> PromotionalEntitlement:
            request = validate(RevokePromotionalEntitlement, as_dict(input))
            revoked = service.revoke_promotional_entitlement(session, environment, request)
            return PromotionalEntitlement.of(revoked)

        return await run(info, call)
