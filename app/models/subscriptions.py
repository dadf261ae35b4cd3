"""Subscriptions: who holds which plan version, when, with which addons and quantities.

A subscription points at the *package version* it was sold (``plan_id``), so catalog
changes never reprice it until it is migrated.

The rule "at most one non-trial and one trial subscription per customer, product and
resource at a time" is enforced by the database as well as the service: while a
subscription is ACTIVE or IN_TRIAL its ``active_slot`` holds
``customer:product:resource:trial-flag`` under a unique index, and it is NULL otherwise
(NULLs never collide).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import JSONType, Money, UTCDateTime, new_id, utcnow


class SubscriptionStatus(StrEnum):
    ACTIVE = "ACTIVE"
    CANCELED = "CANCELED"
    EXPIRED = "EXPIRED"
    IN_TRIAL = "IN_TRIAL"
    NOT_STARTED = "NOT_STARTED"
    PAYMENT_PENDING = "PAYMENT_PENDING"


LIVE_STATUSES = (SubscriptionStatus.ACTIVE, SubscriptionStatus.IN_TRIAL)
ENDED_STATUSES = (SubscriptionStatus.CANCELED, SubscriptionStatus.EXPIRED)


class PaymentCollection(StrEnum):
    NOT_REQUIRED = "NOT_REQUIRED"
    PROCESSING = "PROCESSING"
    ACTION_REQUIRED = "ACTION_REQUIRED"
    FAILED = "FAILED"


class Subscription(SQLModel, table=True):
    __tablename__ = "subscription"
    __table_args__ = (
        UniqueConstraint("environment_id", "ref_id"),
        UniqueConstraint("environment_id", "active_slot"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    environment_id: str = Field(foreign_key="environment.id", index=True, max_length=36)
    ref_id: str = Field(max_length=255)
    customer_id: str = Field(foreign_key="customer.id", index=True, max_length=36)
    product_id: str = Field(foreign_key="product.id", max_length=36)
    plan_id: str = Field(foreign_key="package.id", max_length=36)
    resource_id: str | None = Field(default=None, max_length=255)
    status: str = Field(max_length=16, index=True)
    active_slot: str | None = Field(default=None, sa_column=Column(String(400), nullable=True))
    is_trial: bool = Field(default=False)
    was_in_trial: bool = Field(default=False)
    trial_end_date: datetime | None = Field(default=None, sa_type=UTCDateTime)
    trial_end_behavior: str | None = Field(default=None, max_length=32)
    pricing_type: str = Field(max_length=16)
    billing_period: str | None = Field(default=None, max_length=16)
    billing_country_code: str | None = Field(default=None, max_length=2)
    unit_quantity: Decimal | None = Field(default=None, sa_type=Money)
    start_date: datetime = Field(sa_type=UTCDateTime)
    end_date: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancellation_date: datetime | None = Field(default=None, sa_type=UTCDateTime)
    effective_end_date: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    # Billing periods are counted from this moment, so month-end clamping never drifts.
    billing_cycle_anchor: datetime = Field(sa_type=UTCDateTime)
    current_billing_period_start: datetime = Field(sa_type=UTCDateTime)
    current_billing_period_end: datetime = Field(sa_type=UTCDateTime, index=True)
    migrate_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    coupon_id: str | None = Field(default=None, foreign_key="coupon.id", max_length=36)
    promotion_code_id: str | None = Field(
        default=None, foreign_key="promotion_code.id", max_length=36
    )
    additional_metadata: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
    payment_collection: str = Field(default=PaymentCollection.NOT_REQUIRED, max_length=16)
    # Why the subscription ended: the id of the one that replaced it, a cancellation, ...
    cancel_reason: str | None = Field(default=None, max_length=300)
    # The billing provider's side, filled by the billing jobs and webhooks.
    billing_id: str | None = Field(default=None, max_length=255, index=True)
    checkout_billing_id: str | None = Field(default=None, max_length=255, index=True)
    checkout_url: str | None = Field(default=None)
    latest_invoice: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
    billing_sync_error: str | None = Field(default=None)
    billing_sync_error_code: str | None = Field(default=None, max_length=64)
    sync_generation: int = Field(default=0)
    synced_generation: int = Field(default=0)
    # When the items last changed here: Stripe prorates that change at this moment
    # (``proration_date``), the one an estimate of the same change used, not at whenever
    # the sync happens to run.
    items_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The sync generation at which the coupon last changed here. Stripe drops a discount
    # that has run its course, so the sync sets Stripe's discounts only while this change
    # is not yet synced, never merely because Stripe's differ.
    discount_generation: int | None = Field(default=None)
    # When Stripe starts charging for it: an imported subscription was paid for, where it
    # came from, until its current period ends. Stripe bills from then on, and nothing
    # brought to Stripe before then is prorated.
    billed_from: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the Stripe side was last read back (event or sweep): the sweep's staleness.
    billing_checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Reads of the Stripe side, numbered as they start (``app.billing.reconcile``): how
    # many have started, and the number of the one last applied. A read numbered below
    # the one applied is older news and is not applied over it.
    billing_reads_started: int = Field(default=0)
    billing_read_applied: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class SubscriptionAddon(SQLModel, table=True):
    __tablename__ = "subscription_addon"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    subscription_id: str = Field(foreign_key="subscription.id", index=True, max_length=36)
    addon_id: str = Field(foreign_key="package.id", max_length=36)
    quantity: int = Field(default=1)


class SubscriptionFeatureQuantity(SQLModel, table=True):
    """The quantity bought of a feature the plan prices per unit (billableFeatures)."""

    __tablename__ = "subscription_feature_quantity"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    subscription_id: str = Field(foreign_key="subscription.id", index=True, max_length=36)
    feature_id: str = Field(foreign_key="feature.id", max_length=36)
    quantity: int = Field(default=1)


class SubscriptionTaxRate(SQLModel, table=True):
    """A catalog tax rate the subscription is billed with (``billingInformation.taxRateIds``)."""

    __tablename__ = "subscription_tax_rate"
    __table_args__ = (UniqueConstraint("subscription_id", "tax_rate_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    subscription_id: str = Field(foreign_key="subscription.id", index=True, max_length=36)
    tax_rate_id: str = Field(foreign_key="tax_rate.id", max_length=36)
    # The order the rates were given in, which is the order invoices list them.
    position: int = Field(default=0)
