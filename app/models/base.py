"""Column types and helpers shared by every table.

Money and quantities are exact decimals on every database. PostgreSQL's NUMERIC is
exact; SQLite's is not (it stores binary floating point, about 15 significant digits),
so on SQLite ``ExactDecimal`` stores the decimal's text, fixed to the column's scale as
PostgreSQL does. SQLite compares and adds text as text, so the few columns the database
itself sums and compares (running usage counters, meter aggregates) stay ``Counter``,
NUMERIC everywhere.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import JSON, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import DateTime, TypeDecorator, TypeEngine


class ExactDecimal(TypeDecorator[Decimal]):
    """``Numeric(precision, scale)`` on PostgreSQL; the exact text on SQLite."""

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        super().__init__(precision, scale, asdecimal=True)
        self.precision = precision
        self.scale = scale
        self._quantum = Decimal(1).scaleb(-scale)
        self._limit = Decimal(10) ** (precision - scale)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            # A sign and a decimal point besides the digits.
            return dialect.type_descriptor(String(self.precision + 2))
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        try:
            exact = Decimal(value) if isinstance(value, int | str) else value
            # Rounded as PostgreSQL rounds to a NUMERIC's scale: half away from zero.
            fixed = exact.quantize(self._quantum, rounding=ROUND_HALF_UP)
        except (InvalidOperation, AttributeError, TypeError):
            raise ValueError(f"{value!r} is not a decimal number") from None
        if not fixed.is_finite() or abs(fixed) >= self._limit:
            raise ValueError(f"{value!r} does not fit NUMERIC({self.precision}, {self.scale})")
        return format(fixed, "f") if dialect.name == "sqlite" else fixed

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        # str() also reads a number an older SQLite schema stored as floating point.
        return value if isinstance(value, Decimal) else Decimal(str(value))


# Money and quantities: exact decimals, never floats.
Money = ExactDecimal(20, 6)
# The same figures where the database adds and compares them itself (see above).
Counter = Numeric(20, 6, asdecimal=True)
JSONType = JSON().with_variant(JSONB(), "postgresql")


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are stored and returned as aware UTC datetimes on every database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; billing-sync stores UTC-aware times only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def decimal_or_none(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))
