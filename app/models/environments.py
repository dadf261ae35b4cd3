from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, new_id, utcnow


class Environment(SQLModel, table=True):
    __tablename__ = "environment"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # The environment's own Stripe account, when it has one (else STRIPE_API_KEY's):
    # the secret key and webhook signing secrets, encrypted with SECRET_KEY.
    stripe_api_key_sealed: str | None = Field(default=None)
    stripe_webhook_secrets_sealed: str | None = Field(default=None)
    # Bumped by every catalog apply: cached entitlements of the environment reload.
    catalog_version: int = Field(default=0)

    @property
    def has_own_stripe(self) -> bool:
        return self.stripe_api_key_sealed is not None


class ApiKey(SQLModel, table=True):
    """A server API key. Only its SHA-256 digest is stored; the key is shown once."""

    __tablename__ = "api_key"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    environment_id: str = Field(foreign_key="environment.id", index=True, max_length=36)
    prefix: str = Field(max_length=24)
    key_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
