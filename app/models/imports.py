"""Bulk imports: one task per import call, its rows split into chunks for the workers.

A chunk holds its validated rows (payment method ids only sealed, never in clear) and
is applied in one transaction that also marks it done, so a chunk whose worker died is
applied again from the start and a done chunk is never applied twice.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import JSONType, UTCDateTime, new_id, utcnow


class ImportKind(StrEnum):
    CUSTOMERS = "CUSTOMERS"
    SUBSCRIPTIONS = "SUBSCRIPTIONS"
    USAGE = "USAGE"


class ImportStatus(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"


class ImportTask(SQLModel, table=True):
    __tablename__ = "import_task"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    environment_id: str = Field(foreign_key="environment.id", index=True, max_length=36)
    kind: str = Field(max_length=16)
    total_rows: int = Field(default=0)
    chunk_count: int = Field(default=0)
    # Rows refused before anything was stored (skipInvalid): [{index, field, message}].
    refused: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSONType))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ImportChunk(SQLModel, table=True):
    __tablename__ = "import_chunk"
    __table_args__ = (UniqueConstraint("import_id", "position"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    import_id: str = Field(foreign_key="import_task.id", index=True, max_length=36)
    position: int
    # The index in the import's input of the chunk's first row.
    first_index: int
    rows: list[dict[str, Any]] = Field(sa_column=Column(JSONType, nullable=False))
    # Payment method ids by row index, sealed (app.billing.crypto); dropped once applied.
    sealed: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    done: bool = Field(default=False, index=True)
    # How many rows ended in each outcome ({"CREATED": 3, ...}), read by progress polls.
    counts: dict[str, int] | None = Field(default=None, sa_column=Column(JSONType))
    # Per row: [outcome, reason or null], in the order of ``rows``.
    outcomes: list[list[Any]] | None = Field(default=None, sa_column=Column(JSONType))
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
