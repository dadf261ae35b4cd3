from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import JSONType, UTCDateTime, new_id, utcnow


class Customer(SQLModel, table=True):
    """A customer of one environment. Billing information is never stored here."""

    __tablename__ = "customer"
    __table_args__ = (UniqueConstraint("environment_id", "customer_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    environment_id: str = Field(foreign_key="environment.id", index=True, max_length=36)
    customer_id: str = Field(max_length=255)
    name: str | None = Field(default=None, max_length=255)
    email: str | None = Field(default=None, max_length=320)
    billing_id: str | None = Field(default=None, max_length=255)
    crm_id: str | None = Field(default=None, max_length=255)
    has_payment_method: bool = Field(default=False)
    # The sync generation whose job carries a paymentMethodId not yet attached in Stripe:
    # paid subscriptions wait for that card instead of falling back to Checkout.
    payment_method_generation: int | None = Field(default=None)
    payment_method_requested_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Sync bookkeeping: every change that Stripe must see bumps sync_generation; the
    # reconciler records the generation it brought Stripe to (see app/billing/sync.py).
    sync_generation: int = Field(default=0)
    synced_generation: int = Field(default=0)
    billing_sync_error_code: str | None = Field(default=None, max_length=64)
    billing_sync_error: str | None = Field(default=None, max_length=500)
    additional_metadata: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
    coupon_id: str | None = Field(default=None, foreign_key="coupon.id", max_length=36)
    exclude_from_experiment: bool = Field(default=False)
    # Bumped by every change to what the customer is entitled to (not by usage), so
    # caches of its entitlements, here and in clients, know when to reload.
    entitlements_version: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def payment_method_pending(self) -> bool:
        return self.payment_method_generation is not None
