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


class ApiKey(SQLModel, table=True):
    """A server API key. Only its SHA-256 digest is stored; the key is shown once."""

    __tablename__ = "api_key"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    environment_id: str = Field(foreign_key="environment.id", index=True, max_length=36)
    prefix: str = Field(max_length=24)
    key_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
