"""Catalog types as clients see them: Feature, Coupon, Plan, Addon."""

from __future__ import annotations

import strawberry

from app.graphql.common import (
    JSON,
    CouponStatus,
    CouponType,
    FeatureType,
    MeterType,
    PricingType,
    iso,
    json_value,
    number,
)
from app.models import Coupon as CouponRow
from app.models import Feature as FeatureRow
from app.models import Package as PackageRow


@strawberry.type
class EnumConfigurationEntity:
    """One value an ENUM feature offers."""

    value: str
    display_name: str


@strawberry.type
class Feature:
    id: str
    ref_id: str
    display_name: str
    description: str | None
    feature_type: FeatureType
    meter_type: MeterType | None
    feature_units: str | None
    feature_units_plural: str | None
    enum_configuration: list[EnumConfigurationEntity] | None
    additional_meta_data: JSON | None

    @classmethod
    def of(cls, row: FeatureRow) -> Feature:
        return cls(
            id=row.id,
            ref_id=row.ref_id,
            display_name=row.display_name,
            description=row.description,
            feature_type=FeatureType(row.feature_type),
            meter_type=MeterType(row.meter_type),
            feature_units=row.units,
            feature_units_plural=row.units_plural,
            enum_configuration=(
                None
                if row.enum_values is None
                else [
                    EnumConfigurationEntity(value=e["value"], display_name=e["displayName"])
                    for e in row.enum_values
                ]
            ),
            additional_meta_data=json_value(row.additional_metadata),
        )


@strawberry.type
class Money:
    amount: float
    currency: str


@strawberry.type
class Coupon:
    id: str
    ref_id: str
    name: str
    description: str | None
    type: CouponType
    discount_value: float
    percent_off: float | None
    amounts_off: list[Money] | None
    duration_in_months: int | None
    status: CouponStatus
    additional_meta_data: JSON | None
    billing_id: str | None
    billing_link_url: str | None
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, row: CouponRow) -> Coupon:
        value = number(row.discount_value) or 0.0
        percentage = row.type == CouponType.PERCENTAGE.value
        return cls(
            id=row.id,
            ref_id=row.ref_id,
            name=row.name,
            description=row.description,
            type=CouponType(row.type),
            discount_value=value,
            percent_off=value if percentage else None,
            amounts_off=None if percentage else [Money(amount=value, currency=row.currency or "")],
            duration_in_months=row.duration_in_months,
            status=CouponStatus(row.status),
            additional_meta_data=json_value(row.additional_metadata),
            billing_id=row.billing_id,
            billing_link_url=None,
            created_at=iso(row.created_at) or "",
            updated_at=iso(row.updated_at) or "",
        )


@strawberry.type
class Plan:
    id: str
    ref_id: str
    display_name: str
    description: str | None
    additional_meta_data: JSON | None
    pricing_type: PricingType | None
    version_number: int

    @classmethod
    def of(cls, row: PackageRow) -> Plan:
        return cls(
            id=row.id,
            ref_id=row.ref_id,
            display_name=row.display_name,
            description=row.description,
            additional_meta_data=json_value(row.additional_metadata),
            pricing_type=PricingType(row.pricing_type),
            version_number=row.version_number,
        )


@strawberry.type
class Addon:
    id: str
    ref_id: str
    display_name: str
    description: str | None
    additional_meta_data: JSON | None
    max_quantity: int | None
    version_number: int

    @classmethod
    def of(cls, row: PackageRow) -> Addon:
        return cls(
            id=row.id,
            ref_id=row.ref_id,
            display_name=row.display_name,
            description=row.description,
            additional_meta_data=json_value(row.additional_metadata),
            max_quantity=row.max_quantity,
            version_number=row.version_number,
        )
