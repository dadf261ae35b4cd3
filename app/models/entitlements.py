"""What a customer is granted beyond its plans, and what it has used.

Usage is kept per (customer, resource, feature); ``resource_id`` is ``""`` for usage
outside any resource, so the unique keys hold (NULLs never collide).

Every usage row carries the ``period_start`` of the usage period it counts: a counter
whose stored period is not the current one reads as 0, so a reset is a fact of the
clock, never a job that zeroes rows. Usage that never resets (Fluctuating meters) is
kept under ``NEVER_RESETS``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Column, Index, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import Counter, JSONType, Money, UTCDateTime, new_id, utcnow

# The period key of usage that is never reset.
NEVER_RESETS = datetime(1970, 1, 1, tzinfo=UTC)

# SQLite only autoincrements an ``INTEGER PRIMARY KEY``.
EventId = BigInteger().with_variant(Integer(), "sqlite")


class PromotionalEntitlementPeriod(StrEnum):
    ONE_WEEK = "ONE_WEEK"
    ONE_MONTH = "ONE_MONTH"
    SIX_MONTH = "SIX_MONTH"
    ONE_YEAR = "ONE_YEAR"
    LIFETIME = "LIFETIME"
    CUSTOM = "CUSTOM"


class PromotionalEntitlementStatus(StrEnum):
    ACTIVE = "Active"
    EXPIRED = "Expired"
    PAUSED = "Paused"


class UsageUpdateBehavior(StrEnum):
    DELTA = "DELTA"
    SET = "SET"


class PromotionalEntitlement(SQLModel, table=True):
    """A feature granted to one customer for a while, beside (and across) its plans."""

    __tablename__ = "promotional_entitlement"
    __table_args__ = (UniqueConstraint("customer_id", "feature_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    environment_id: str = Field(foreign_key="environment.id", index=True, max_length=36)
    customer_id: str = Field(foreign_key="customer.id", max_length=36)
    feature_id: str = Field(foreign_key="feature.id", max_length=36)
    description: str | None = Field(default=None, max_length=5000)
    usage_limit: Decimal | None = Field(default=None, sa_type=Money)
    has_unlimited_usage: bool = Field(default=False)
    has_soft_limit: bool = Field(default=False)
    enum_values: list[str] | None = Field(default=None, sa_column=Column(JSONType))
    reset_period: str | None = Field(default=None, max_length=8)
    # The ``...AccordingTo`` value of the reset period's configuration.
    reset_according_to: str | None = Field(default=None, max_length=32)
    period: str = Field(max_length=16)
    is_visible: bool = Field(default=True)
    paused: bool = Field(default=False)
    start_date: datetime = Field(sa_type=UTCDateTime)
    # None: never ends (LIFETIME).
    end_date: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class SubscriptionEntitlement(SQLModel, table=True):
    """A per-subscription value that replaces its plan's entitlement to one feature."""

    __tablename__ = "subscription_entitlement"
    __table_args__ = (UniqueConstraint("subscription_id", "feature_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    subscription_id: str = Field(foreign_key="subscription.id", index=True, max_length=36)
    feature_id: str = Field(foreign_key="feature.id", max_length=36)
    description: str | None = Field(default=None, max_length=5000)
    usage_limit: Decimal | None = Field(default=None, sa_type=Money)
    has_unlimited_usage: bool = Field(default=False)
    has_soft_limit: bool = Field(default=False)
    reset_period: str | None = Field(default=None, max_length=8)
    reset_according_to: str | None = Field(default=None, max_length=32)


class FeatureUsage(SQLModel, table=True):
    """Calculated usage (reportUsage) of one feature: one row, changed by one statement."""

    __tablename__ = "feature_usage"
    __table_args__ = (UniqueConstraint("customer_id", "resource_id", "feature_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    environment_id: str = Field(foreign_key="environment.id", max_length=36)
    customer_id: str = Field(foreign_key="customer.id", max_length=36)
    resource_id: str = Field(default="", sa_column=Column(String(255), nullable=False))
    feature_id: str = Field(foreign_key="feature.id", max_length=36)
    period_start: datetime = Field(sa_type=UTCDateTime)
    usage: Decimal = Field(default=Decimal(0), sa_type=Counter)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # Counts the statements that changed the row: of two values read or sent anywhere,
    # the one of the higher version is the later.
    version: int = Field(
        default=1, sa_column=Column(BigInteger, nullable=False, server_default="1")
    )


class UsageMeasurement(SQLModel, table=True):
    """One reportUsage call, kept so a repeated idempotency key returns it unchanged."""

    __tablename__ = "usage_measurement"
    __table_args__ = (
        UniqueConstraint("customer_id", "resource_id", "feature_id", "idempotency_key"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    environment_id: str = Field(foreign_key="environment.id", max_length=36)
    customer_id: str = Field(foreign_key="customer.id", index=True, max_length=36)
    resource_id: str = Field(default="", sa_column=Column(String(255), nullable=False))
    feature_id: str = Field(foreign_key="feature.id", max_length=36)
    value: Decimal = Field(sa_type=Money)
    update_behavior: str = Field(max_length=8)
    idempotency_key: str | None = Field(default=None, max_length=255)
    dimensions: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
    # The usage right after this measurement, and the period it counted in.
    current_usage: Decimal | None = Field(default=None, sa_type=Money)
    usage_period_start: datetime | None = Field(default=None, sa_type=UTCDateTime)
    usage_period_end: datetime | None = Field(default=None, sa_type=UTCDateTime)
    timestamp: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class UsageEvent(SQLModel, table=True):
    """A raw event (reportEvent), append-only. ``customer_ref`` is the customerId sent."""

    __tablename__ = "usage_event"
    __table_args__ = (
        UniqueConstraint(
            "environment_id", "customer_ref", "resource_id", "event_name", "idempotency_key"
        ),
        Index("ix_usage_event_time", "environment_id", "timestamp"),
    )

    id: int | None = Field(default=None, sa_column=Column(EventId, primary_key=True))
    environment_id: str = Field(foreign_key="environment.id", max_length=36)
    customer_ref: str = Field(max_length=255)
    resource_id: str = Field(default="", sa_column=Column(String(255), nullable=False))
    event_name: str = Field(max_length=255)
    idempotency_key: str = Field(max_length=255)
    dimensions: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
    timestamp: datetime = Field(sa_type=UTCDateTime)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class MeterUsage(SQLModel, table=True):
    """A meter's running aggregate over one usage period, updated as events arrive."""

    __tablename__ = "meter_usage"
    __table_args__ = (UniqueConstraint("customer_id", "resource_id", "feature_id", "period_start"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    environment_id: str = Field(foreign_key="environment.id", max_length=36)
    customer_id: str = Field(foreign_key="customer.id", max_length=36)
    resource_id: str = Field(default="", sa_column=Column(String(255), nullable=False))
    feature_id: str = Field(foreign_key="feature.id", max_length=36)
    period_start: datetime = Field(sa_type=UTCDateTime)
    event_count: int = Field(default=0)
    total: Decimal = Field(default=Decimal(0), sa_type=Counter)
    minimum: Decimal | None = Field(default=None, sa_type=Counter)
    maximum: Decimal | None = Field(default=None, sa_type=Counter)
    # UNIQUE meters: how many distinct values (rows in meter_unique_value) the period saw.
    distinct_count: int = Field(default=0)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class MeterUniqueValue(SQLModel, table=True):
    """A value a UNIQUE meter has seen in one usage period."""

    __tablename__ = "meter_unique_value"
    __table_args__ = (
        UniqueConstraint("customer_id", "resource_id", "feature_id", "period_start", "value"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    customer_id: str = Field(foreign_key="customer.id", max_length=36)
    resource_id: str = Field(default="", sa_column=Column(String(255), nullable=False))
    feature_id: str = Field(foreign_key="feature.id", max_length=36)
    period_start: datetime = Field(sa_type=UTCDateTime)
    value: str = Field(max_length=255)
