"""Entitlement and usage types as clients see them."""

from __future__ import annotations

import strawberry

from app.entitlements.decision import AccessDeniedReason, Decision
from app.entitlements.state import FeatureInfo
from app.entitlements.usage import Measured
from app.graphql.common import (
    JSON,
    EntitlementResetPeriod,
    FeatureType,
    MeterType,
    iso,
    json_value,
    number,
)
from app.graphql.reset_periods import ResetPeriodConfiguration, configuration

strawberry.enum(AccessDeniedReason, name="AccessDeniedReason", graphql_name_from="value")


@strawberry.type
class EntitlementFeature:
    id: str
    ref_id: str
    display_name: str
    description: str | None
    feature_type: FeatureType
    meter_type: MeterType | None
    feature_units: str | None
    feature_units_plural: str | None
    additional_meta_data: JSON | None

    @classmethod
    def of(cls, feature: FeatureInfo) -> EntitlementFeature:
        return cls(
            id=feature.id,
            ref_id=feature.ref_id,
            display_name=feature.display_name,
            description=feature.description,
            feature_type=FeatureType(feature.feature_type),
            meter_type=MeterType(feature.meter_type),
            feature_units=feature.units,
            feature_units_plural=feature.units_plural,
            additional_meta_data=json_value(feature.additional_metadata),
        )


@strawberry.type
class Entitlement:
    is_granted: bool
    access_denied_reason: AccessDeniedReason | None
    customer_id: str | None
    resource_id: str | None
    feature: EntitlementFeature | None
    current_usage: float | None
    requested_usage: float | None
    requested_values: list[str] | None
    usage_limit: float | None
    has_unlimited_usage: bool
    has_soft_limit: bool | None
    enum_values: list[str] | None
    usage_period_anchor: str | None
    usage_period_start: str | None
    usage_period_end: str | None
    next_reset_date: str | None
    reset_period: EntitlementResetPeriod | None
    reset_period_configuration: ResetPeriodConfiguration | None

    @classmethod
    def of(cls, decision: Decision) -> Entitlement:
        grant = decision.grant
        allowance = grant.allowance if grant is not None else None
        period = decision.period
        reset = allowance.reset_period if allowance is not None and period is not None else None
        return cls(
            is_granted=decision.is_granted,
            access_denied_reason=decision.denied,
            customer_id=decision.state.customer_id,
            resource_id=decision.state.resource_id,
            feature=EntitlementFeature.of(decision.feature) if decision.feature else None,
            current_usage=float(decision.current_usage),
            requested_usage=number(decision.request.requested_usage),
            requested_values=(
                list(decision.request.requested_values)
                if decision.request.requested_values is not None
                else None
            ),
            usage_limit=number(allowance.usage_limit) if allowance is not None else None,
            has_unlimited_usage=allowance.unlimited if allowance is not None else False,
            has_soft_limit=allowance.soft_limit if allowance is not None else False,
            enum_values=(
                sorted(allowance.enum_values) if allowance and allowance.enum_values else None
            ),
            usage_period_anchor=iso(period.anchor) if period else None,
            usage_period_start=iso(period.start) if period else None,
            usage_period_end=iso(period.end) if period else None,
            next_reset_date=iso(period.end) if period else None,
            reset_period=EntitlementResetPeriod(reset) if reset else None,
            reset_period_configuration=configuration(
                reset, allowance.according_to if allowance is not None else None
            ),
        )


@strawberry.type
class UsageMeasurementWithCurrentUsage:
    id: str
    customer_id: str
    feature_id: str
    resource_id: str | None
    environment_id: str
    value: float
    current_usage: float | None
    usage_period_start: str | None
    usage_period_end: str | None
    next_reset_date: str | None
    timestamp: str
    created_at: str

    @classmethod
    def of(cls, measured: Measured) -> UsageMeasurementWithCurrentUsage:
        row = measured.row
        return cls(
            id=row.id,
            customer_id=measured.customer_ref,
            feature_id=measured.feature_ref,
            resource_id=row.resource_id or None,
            environment_id=row.environment_id,
            value=float(row.value),
            current_usage=number(row.current_usage),
            usage_period_start=iso(row.usage_period_start),
            usage_period_end=iso(row.usage_period_end),
            next_reset_date=iso(row.usage_period_end),
            timestamp=iso(row.timestamp) or "",
            created_at=iso(row.created_at) or "",
        )
