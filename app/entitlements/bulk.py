"""Many rows in one INSERT, sent the cheap way for each database.

On PostgreSQL the rows travel as one JSON document, one parameter, that the statement
turns back into rows with ``json_to_recordset`` typed by the table's columns. A
thousand rows written as ``VALUES`` would carry eight thousand placeholders, which
psycopg parses on the client (it caches only short statements), and arrays per column
are escaped value by value: either took longer than the database took to insert the
rows. SQLite gets the rows as an executemany, which SQLAlchemy sends as multi-row
``VALUES`` statements.

Callers build their statement once per dialect (``insert`` + their ``ON CONFLICT`` and
``RETURNING``) and execute it with ``parameters(rows)``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, Text, bindparam, cast, column, func, select
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

POSTGRESQL = "postgresql"
Rows = Sequence[dict[str, Any]]


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def insert(dialect: str, table: Table, names: Sequence[str]) -> Any:
    """An INSERT of rows with the columns ``names`` (the dialect's insert construct)."""
    if dialect != POSTGRESQL:
        return sqlite_insert(table)
    source = (
        func.json_to_recordset(cast(bindparam("rows", type_=Text), JSON))
        .table_valued(*(column(name, table.c[name].type) for name in names))
        .render_derived(with_types=True)
    )
    return pg_insert(table).from_select(list(names), select(*(source.c[n] for n in names)))


def _json_value(value: object) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given; billing-sync stores UTC-aware times only")
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot be sent as JSON")


def parameters(dialect: str, rows: Rows) -> Any:
    """What to execute an ``insert`` statement with: the rows, in the dialect's form."""
    if dialect != POSTGRESQL:
        return list(rows)
    return {"rows": json.dumps(rows, default=_json_value)}
