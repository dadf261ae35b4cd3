"""Jobs waiting to be handed to the broker.

A change and its intent to sync are written in the same transaction: ``app.jobs.enqueue``
adds an outbox row beside the change. After the commit the row is sent and deleted; if
the broker cannot be reached, the row stays and the relay (``app.jobs.relay``) sends it
later. A row lives only until it is relayed, so the sealed billing information some
messages carry is never kept beyond the hand-over (and is never readable: it is
encrypted with SECRET_KEY).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from app.models.base import JSONType, UTCDateTime, new_id, utcnow


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"

    # Also the broker message's id, so a message relayed twice is recognisably one.
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    queue_name: str = Field(max_length=64)
    actor_name: str = Field(max_length=128)
    arguments: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))
    delay_ms: int | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=500)
