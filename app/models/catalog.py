"""The product catalog: products, features, versioned plans and addons, coupons.

Plans and addons are *packages*. Each change to a published package creates a new row
with the next ``version_number``; the newest is ``is_latest``. Subscriptions point at
the package row (the version) they were sold, so a catalog change never reprices them.
Prices and entitlements hang off a package version and are never edited in place.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import ExactDecimal, JSONType, Money, UTCDateTime, new_id, utcnow

# Per-unit prices may carry up to 12 decimals (Stripe's ``unit_amount_decimal``), more than
# ``Money`` keeps; 12 integer digits is far above any price.
UnitAmount = ExactDecimal(24, 12)


class FeatureType(StrEnum):
    BOOLEAN = "BOOLEAN"
    NUMBER = "NUMBER"
    ENUM = "ENUM"


class MeterType(StrEnum):
    NONE = "None"
    FLUCTUATING = "Fluctuating"
    INCREMENTAL = "Incremental"


class PackageKind(StrEnum):
    PLAN = "plan"
    ADDON = "addon"


class PricingType(StrEnum):
    FREE = "FREE"
    PAID = "PAID"
    CUSTOM = "CUSTOM"


class BillingPeriod(StrEnum):
    MONTHLY = "MONTHLY"
    ANNUALLY = "ANNUALLY"


class BillingModel(StrEnum):
    FLAT_FEE = "FLAT_FEE"
    PER_UNIT = "PER_UNIT"


class TrialEndBehavior(StrEnum):
    CONVERT_TO_PAID = "CONVERT_TO_PAID"
    CANCEL_SUBSCRIPTION = "CANCEL_SUBSCRIPTION"


class ResetPeriod(StrEnum):
    HOUR = "HOUR"
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    YEAR = "YEAR"


class MonthlyAccordingTo(StrEnum):
    SUBSCRIPTION_START = "SubscriptionStart"
    START_OF_THE_MONTH = "StartOfTheMonth"


class WeeklyAccordingTo(StrEnum):
    SUBSCRIPTION_START = "SubscriptionStart"
    EVERY_MONDAY = "EveryMonday"
    EVERY_TUESDAY = "EveryTuesday"
    EVERY_WEDNESDAY = "EveryWednesday"
    EVERY_THURSDAY = "EveryThursday"
    EVERY_FRIDAY = "EveryFriday"
    EVERY_SATURDAY = "EverySaturday"
    EVERY_SUNDAY = "EverySunday"


class YearlyAccordingTo(StrEnum):
    SUBSCRIPTION_START = "SubscriptionStart"


class EntitlementBehavior(StrEnum):
    """How an addon's entitlement combines with its plan's."""

    INCREMENT = "Increment"
    OVERRIDE = "Override"


class DiscountType(StrEnum):
    PERCENTAGE = "PERCENTAGE"
    FIXED = "FIXED"


class CatalogStatus(StrEnum):
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"


class Product(SQLModel, table=True):
    __tablename__ = "product"
    __table_args__ = (UniqueConstraint("environment_id", "ref_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    environment_id: str = Field(foreign_key="environment.id", index=True, max_length=36)
    ref_id: str = Field(max_length=255)
    display_name: str = Field(max_length=255)
    description: str | None = Field(default=None)
    additional_metadata: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
    multiple_subscriptions: bool = Field(default=False)
    # Customer journey: the plan a new customer starts on (optionally as a trial) and
    # the plan a cancelled subscription falls back to.
    initial_plan_ref: str | None = Field(default=None, max_length=255)
    initial_plan_is_trial: bool = Field(default=False)
    override_requested_plan: bool = Field(default=False)
    fallback_plan_ref: str | None = Field(default=None, max_length=255)
    status: str = Field(default=CatalogStatus.ACTIVE, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Feature(SQLModel, table=True):
    __tablename__ = "feature"
    __table_args__ = (UniqueConstraint("environment_id", "ref_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    environment_id: str = Field(foreign_key="environment.id", index=True, max_length=36)
    ref_id: str = Field(max_length=255)
    display_name: str = Field(max_length=255)
    description: str | None = Field(default=None)
    feature_type: str = Field(max_length=16)
    meter_type: str = Field(default=MeterType.NONE, max_length=16)
    units: str | None = Field(default=None, max_length=64)
    units_plural: str | None = Field(default=None, max_length=64)
    # ENUM features: the values an entitlement may grant, [{"value", "displayName"}].
    enum_values: list[dict[str, str]] | None = Field(default=None, sa_column=Column(JSONType))
    # Features metered from raw events: {"eventName", "filters": [{"conditions": [...]}],
    # "aggregation": {"function", "field"}}, read with app.catalog.meters.Meter.
    meter: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
    additional_metadata: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
    status: str = Field(default=CatalogStatus.ACTIVE, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Package(SQLModel, table=True):
    """One version of a plan or an addon."""

    __tablename__ = "package"
    __table_args__ = (
        UniqueConstraint("environment_id", "kind", "ref_id", "version_number"),
        Index("ix_package_latest", "environment_id", "kind", "ref_id", "is_latest"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    environment_id: str = Field(foreign_key="environment.id", index=True, max_length=36)
    kind: str = Field(max_length=8)
    ref_id: str = Field(max_length=255)
    version_number: int = Field(default=1)
    is_latest: bool = Field(default=True)
    product_id: str = Field(foreign_key="product.id", index=True, max_length=36)
    display_name: str = Field(max_length=255)
    description: str | None = Field(default=None)
    additional_metadata: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
    pricing_type: str = Field(default=PricingType.FREE, max_length=16)
    trial_days: int | None = Field(default=None)
    trial_end_behavior: str | None = Field(default=None, max_length=32)
    # Addons only: how many a subscription may hold. Plans only: addon refIds allowed.
    max_quantity: int | None = Field(default=None)
    compatible_addons: list[str] | None = Field(default=None, sa_column=Column(JSONType))
    # Plans only: the plan (refId, same product) whose entitlements this one inherits.
    base_plan_ref: str | None = Field(default=None, max_length=255)
    # Digest of everything that defines this version; a change means a new version.
    content_hash: str = Field(sa_column=Column(String(64), nullable=False))
    status: str = Field(default=CatalogStatus.ACTIVE, max_length=16)
    # The billing provider's product for this plan or addon (shared by its versions).
    billing_id: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class PackagePrice(SQLModel, table=True):
    """A price of a package version for one billing period and, optionally, one country."""

    __tablename__ = "package_price"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    package_id: str = Field(foreign_key="package.id", index=True, max_length=36)
    billing_period: str = Field(max_length=16)
    billing_model: str = Field(max_length=16)
    feature_id: str | None = Field(default=None, foreign_key="feature.id", max_length=36)
    amount: Decimal = Field(sa_type=UnitAmount)
    currency: str = Field(max_length=3)
    billing_country_code: str | None = Field(default=None, max_length=2)
    min_unit_quantity: int | None = Field(default=None)
    max_unit_quantity: int | None = Field(default=None)
    billing_id: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class PackageEntitlement(SQLModel, table=True):
    __tablename__ = "package_entitlement"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    package_id: str = Field(foreign_key="package.id", index=True, max_length=36)
    feature_id: str = Field(foreign_key="feature.id", max_length=36)
    usage_limit: Decimal | None = Field(default=None, sa_type=Money)
    has_unlimited_usage: bool = Field(default=False)
    has_soft_limit: bool = Field(default=False)
    reset_period: str | None = Field(default=None, max_length=8)
    # The ``...AccordingTo`` value of the reset period's configuration.
    reset_according_to: str | None = Field(default=None, max_length=32)
    enum_values: list[str] | None = Field(default=None, sa_column=Column(JSONType))
    # Addons: add to the plan's limit (times the addon quantity) or replace it.
    behavior: str = Field(default=EntitlementBehavior.INCREMENT, max_length=16)
    # False: this plan takes away a feature its base plan grants.
    is_granted: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Coupon(SQLModel, table=True):
    __tablename__ = "coupon"
    __table_args__ = (UniqueConstraint("environment_id", "ref_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    environment_id: str = Field(foreign_key="environment.id", index=True, max_length=36)
    ref_id: str = Field(max_length=255)
    name: str = Field(max_length=255)
    description: str | None = Field(default=None)
    type: str = Field(max_length=16)
    # PERCENTAGE: percent off (0 < v <= 100). FIXED: amount off in ``currency``.
    discount_value: Decimal = Field(sa_type=Money)
    currency: str | None = Field(default=None, max_length=3)
    duration_in_months: int | None = Field(default=None)
    status: str = Field(default=CatalogStatus.ACTIVE, max_length=16)
    additional_metadata: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
    billing_id: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class PromotionCode(SQLModel, table=True):
    """A code customers type (e.g. ``STIGG30``) that applies a coupon; matched in any case."""

    __tablename__ = "promotion_code"
    __table_args__ = (UniqueConstraint("environment_id", "code"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    environment_id: str = Field(foreign_key="environment.id", index=True, max_length=36)
    code: str = Field(max_length=64)
    coupon_id: str = Field(foreign_key="coupon.id", max_length=36)
    max_redemptions: int | None = Field(default=None)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = Field(default=CatalogStatus.ACTIVE, max_length=16)
    billing_id: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class TaxRate(SQLModel, table=True):
    """A tax rate estimates can apply by id (``billingInformation.taxRateIds``)."""

    __tablename__ = "tax_rate"
    __table_args__ = (UniqueConstraint("environment_id", "ref_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    environment_id: str = Field(foreign_key="environment.id", index=True, max_length=36)
    ref_id: str = Field(max_length=255)
    display_name: str = Field(max_length=255)
    percentage: Decimal = Field(sa_type=Money)
    inclusive: bool = Field(default=False)
    country: str | None = Field(default=None, max_length=2)
    status: str = Field(default=CatalogStatus.ACTIVE, max_length=16)
    billing_id: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
