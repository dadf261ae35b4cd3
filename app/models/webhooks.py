"""Stripe events as received. Only what processing needs is kept: the event's id,
type, time and the id of the object it is about. Payloads are not stored (they carry
addresses and other billing details); handlers re-fetch the object from Stripe."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, String
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, new_id, utcnow


class EventState(StrEnum):
    PENDING = "pending"
    PROCESSED = "processed"
    IGNORED = "ignored"
    FAILED = "failed"


class WebhookEvent(SQLModel, table=True):
    __tablename__ = "webhook_event"
    # The events about one object still to process: what a read of it answers.
    __table_args__ = (Index("ix_webhook_event_object_state", "object_id", "state"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    stripe_event_id: str = Field(sa_column=Column(String(255), nullable=False, unique=True))
    type: str = Field(max_length=100, index=True)
    object_id: str | None = Field(default=None, max_length=255)
    object_type: str | None = Field(default=None, max_length=64)
    # Whose Stripe account sent it: an environment with an account of its own, or None
    # for the default account (STRIPE_API_KEY / STRIPE_WEBHOOK_SECRET).
    account_environment_id: str | None = Field(default=None, max_length=36)
    created: datetime = Field(sa_type=UTCDateTime)
    state: str = Field(default=EventState.PENDING, max_length=16, index=True)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    processed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
