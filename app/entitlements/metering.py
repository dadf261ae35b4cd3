"""Meter aggregates kept as events arrive, so a check reads one row and never scans events.

Each newly stored event is folded into the meter of every grant of its customer (and
resource) whose meter matches it, in the usage period the event's timestamp falls in
(``meter_usage``, one row per customer, resource, feature and period start): a late
event counts in its own period, not the current one. A batch is tallied here first,
then written with one upsert per row whose increments the database adds
(``event_count = event_count + excluded.event_count``), so concurrent batches never
lose one. UNIQUE meters first insert the values they saw into ``meter_unique_value``;
only the values new to the period raise ``distinct_count``.

SUM, AVG, MIN and MAX read the dimension named by the aggregation's field when it holds
a number (a boolean is not one); an event without it does not count for that meter.
UNIQUE counts the distinct values of its field; COUNT counts events.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Table, case, func
from sqlmodel import Session

from app.catalog.meters import AggregationFunction, Meter
from app.entitlements import bulk, cache
from app.entitlements.event_store import RawEvent
from app.entitlements.periods import UsagePeriod
from app.entitlements.state import EntitlementState, Grant
from app.models import MeterUniqueValue, MeterUsage
from app.models.base import new_id

# The range of the aggregate columns (Money); a total beyond it stays at the bound.
MAX_TOTAL = Decimal("99999999999999")
_NUMERIC = frozenset(
    {
        AggregationFunction.SUM,
        AggregationFunction.AVG,
        AggregationFunction.MIN,
        AggregationFunction.MAX,
    }
)

# The longest value meter_unique_value keeps.
MAX_UNIQUE_TEXT = 255

# customer id, resource id ("" for none), feature id, period start
AggregateKey = tuple[str, str, str, datetime]


def _bounded(value: Decimal) -> Decimal:
    return max(-MAX_TOTAL, min(MAX_TOTAL, value))


def number(value: object) -> Decimal | None:
    """A dimension as a number to aggregate, or None when it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return _bounded(Decimal(value) if isinstance(value, int) else Decimal(repr(value)))


def unique_text(value: object) -> str:
    """How a UNIQUE meter tells values apart: ``1`` and ``1.0`` are one value.

    Text is at most 255 characters; a number written longer is kept as its digest.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    text = str(value)
    if len(text) > MAX_UNIQUE_TEXT:
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return text


@dataclass(slots=True)
class Aggregate:
    environment_id: str
    event_count: int = 0
    total: Decimal = Decimal(0)
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    values: set[str] = field(default_factory=set)
    distinct_count: int = 0

    def add_number(self, value: Decimal) -> None:
        self.event_count += 1
        self.total = _bounded(self.total + value)
        self.minimum = value if self.minimum is None else min(self.minimum, value)
        self.maximum = value if self.maximum is None else max(self.maximum, value)


@dataclass(frozen=True, slots=True)
class MeteredGrant:
    grant: Grant
    meter: Meter


def metered_grants(state: EntitlementState) -> list[MeteredGrant]:
    """The grants of a state whose usage comes from events (revoked ones count nothing)."""
    return [
        MeteredGrant(grant, Meter.from_stored(grant.feature.meter))
        for grant in state.grants.values()
        if grant.feature.meter and grant.feature.is_metered and not grant.allowance.revoked
    ]


class Tally:
    """A batch's contribution to each meter aggregate, before it is written."""

    def __init__(self) -> None:
        self.aggregates: dict[AggregateKey, Aggregate] = {}
        # The last usage period found for each (customer, resource, feature): a batch's
        # events mostly fall in one, and working a period out is most of folding one.
        self._periods: dict[tuple[str, str, str], UsagePeriod] = {}

    def _period_start(
        self, scope: tuple[str, str, str], grant: Grant, moment: datetime
    ) -> datetime:
        """``grant.usage_key(moment)``, reusing the last period when it holds ``moment``."""
        period = self._periods.get(scope)
        if period is None or not period.contains(moment):
            period = grant.period(moment)
            if period is None:
                return grant.usage_key(moment)
            self._periods[scope] = period
        return period.start

    def add(self, state: EntitlementState, metered: MeteredGrant, event: RawEvent) -> None:
        assert state.customer_id is not None
        aggregation = metered.meter.aggregation
        dimensions = event.dimensions or {}
        value: Decimal | None = None
        if aggregation.function in _NUMERIC:
            value = number(dimensions.get(aggregation.field or ""))
            if value is None:
                return
        seen: object = None
        if aggregation.function is AggregationFunction.UNIQUE:
            seen = dimensions.get(aggregation.field or "")
            if seen is None:
                return
        scope = (state.customer_id, state.resource_key, metered.grant.feature.id)
        key = (*scope, self._period_start(scope, metered.grant, event.timestamp))
        aggregate = self.aggregates.get(key)
        if aggregate is None:
            aggregate = self.aggregates[key] = Aggregate(state.environment_id)
        if value is not None:
            aggregate.add_number(value)
        else:
            aggregate.event_count += 1
        if seen is not None:
            aggregate.values.add(unique_text(seen))

    def __iter__(self) -> Iterator[tuple[AggregateKey, Aggregate]]:
        return iter(sorted(self.aggregates.items(), key=lambda item: item[0]))


_UNIQUE_VALUES: Table = MeterUniqueValue.__table__  # type: ignore[attr-defined]
_AGGREGATES: Table = MeterUsage.__table__  # type: ignore[attr-defined]


@lru_cache(maxsize=4)
def _unique_values_statement(dialect: str) -> Any:
    table = _UNIQUE_VALUES
    names = ("id", "customer_id", "resource_id", "feature_id", "period_start", "value")
    return (
        bulk.insert(dialect, table, names)
        .on_conflict_do_nothing(index_elements=list(names[1:]))
        .returning(
            table.c.customer_id, table.c.resource_id, table.c.feature_id, table.c.period_start
        )
    )


def _count_new_values(session: Session, tally: Tally) -> None:
    """Store UNIQUE meters' values; each one new to its period adds to distinct_count."""
    rows = [
        {
            "id": new_id(),
            "customer_id": key[0],
            "resource_id": key[1],
            "feature_id": key[2],
            "period_start": key[3],
            "value": value,
        }
        for key, aggregate in tally
        for value in sorted(aggregate.values)
    ]
    if not rows:
        return
    dialect = bulk.dialect_of(session)
    new = session.execute(_unique_values_statement(dialect), bulk.parameters(dialect, rows))
    for customer_id, resource_id, feature_id, period_start in new:
        tally.aggregates[(customer_id, resource_id, feature_id, period_start)].distinct_count += 1


def _smaller(current: Any, new: Any) -> ColumnElement[Any]:
    return func.coalesce(case((new < current, new), else_=current), new)


def _larger(current: Any, new: Any) -> ColumnElement[Any]:
    return func.coalesce(case((new > current, new), else_=current), new)


def _bounded_sum(current: Any, new: Any) -> ColumnElement[Any]:
    total = current + new
    return case((total > MAX_TOTAL, MAX_TOTAL), (total < -MAX_TOTAL, -MAX_TOTAL), else_=total)


@lru_cache(maxsize=4)
def _upsert_statement(dialect: str) -> Any:
    c = _AGGREGATES.c
    names = [column.name for column in c]
    insert = bulk.insert(dialect, _AGGREGATES, names)
    new = insert.excluded
    return insert.on_conflict_do_update(
        index_elements=["customer_id", "resource_id", "feature_id", "period_start"],
        set_={
            "event_count": c.event_count + new.event_count,
            "total": _bounded_sum(c.total, new.total),
            "minimum": _smaller(c.minimum, new.minimum),
            "maximum": _larger(c.maximum, new.maximum),
            "distinct_count": c.distinct_count + new.distinct_count,
            "updated_at": new.updated_at,
        },
    )


def write(session: Session, tally: Tally, now: datetime) -> None:
    """Add a batch's tally to the stored aggregates: one upsert row per aggregate."""
    if not tally.aggregates:
        return
    _count_new_values(session, tally)
    rows = [
        {
            "id": new_id(),
            "environment_id": aggregate.environment_id,
            "customer_id": key[0],
            "resource_id": key[1],
            "feature_id": key[2],
            "period_start": key[3],
            "event_count": aggregate.event_count,
            "total": aggregate.total,
            "minimum": aggregate.minimum,
            "maximum": aggregate.maximum,
            "distinct_count": aggregate.distinct_count,
            "updated_at": now,
        }
        for key, aggregate in tally
    ]
    dialect = bulk.dialect_of(session)
    session.execute(_upsert_statement(dialect), bulk.parameters(dialect, rows))
    cache.usage_reported(session, {key[0] for key, _ in tally})
