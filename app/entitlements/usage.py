"""Calculated usage: reading it for checks, and changing it with one atomic statement.

A report is an upsert of the (customer, resource, feature) row whose new value the
database computes: ``usage + delta`` within the same period, the delta alone in a new
one, or the value sent for SET. Concurrent reports therefore never lose an increment,
and nothing is read and written back. A report with an idempotency key first stores its
measurement under a unique key; a repeat finds that row and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, case
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.entitlements import cache, repository
from app.entitlements.periods import UsagePeriod
from app.entitlements.state import EntitlementState, Grant
from app.models import FeatureUsage, MeterUsage, UsageMeasurement
from app.models.base import new_id
from app.models.entitlements import UsageUpdateBehavior


@dataclass(frozen=True, slots=True)
class UsageReport:
    customer_ref: str
    feature_ref: str
    value: Decimal
    resource_id: str | None = None
    behavior: UsageUpdateBehavior = UsageUpdateBehavior.DELTA
    idempotency_key: str | None = None
    created_at: datetime | None = None
    dimensions: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Measured:
    """A stored measurement with the names clients know it by."""

    row: UsageMeasurement
    customer_ref: str
    feature_ref: str
    # The period the current usage counts in (None when it never resets).
    period: UsagePeriod | None


def meter_value(function: str, row: MeterUsage | None) -> Decimal:
    """A meter's value over a period from its running aggregate."""
    if row is None or row.event_count == 0:
        return Decimal(0)
    if function == "COUNT":
        return Decimal(row.event_count)
    if function == "SUM":
        return row.total
    if function == "AVG":
        return row.total / row.event_count
    if function == "MIN":
        return row.minimum if row.minimum is not None else Decimal(0)
    if function == "MAX":
        return row.maximum if row.maximum is not None else Decimal(0)
    if function == "UNIQUE":
        return Decimal(row.distinct_count)
    raise ValueError(f"unknown aggregation function {function!r}")


def aggregation_function(grant: Grant) -> str | None:
    meter = grant.feature.meter
    if not meter:
        return None
    aggregation = meter.get("aggregation") or {}
    return str(aggregation.get("function") or "COUNT")


def current_usage(
    session: Session, state: EntitlementState, grants: Iterable[Grant], now: datetime
) -> dict[str, Decimal]:
    """Current usage by feature refId of the metered grants given (one query per kind)."""
    metered = [grant for grant in grants if grant.feature.is_metered]
    if state.customer_id is None or not metered:
        return {}
    by_events = [grant for grant in metered if grant.feature.meter]
    calculated = [grant for grant in metered if not grant.feature.meter]
    result: dict[str, Decimal] = {}
    rows = repository.feature_usage(
        session, state.customer_id, state.resource_key, [g.feature.id for g in calculated]
    )
    for grant in calculated:
        row = rows.get(grant.feature.id)
        counts = row is not None and row.period_start == grant.usage_key(now)
        result[grant.feature.ref_id] = row.usage if row is not None and counts else Decimal(0)
    keys = {grant.feature.id: grant.usage_key(now) for grant in by_events}
    aggregates = repository.meter_usage(
        session, state.customer_id, state.resource_key, list(keys.items())
    )
    for grant in by_events:
        function = aggregation_function(grant) or "COUNT"
        aggregate = aggregates.get((grant.feature.id, keys[grant.feature.id]))
        result[grant.feature.ref_id] = meter_value(function, aggregate)
    return result


def _upsert(
    session: Session, values: dict[str, Any], behavior: UsageUpdateBehavior
) -> tuple[Decimal, int]:
    """The row's new usage and version."""
    table: Table = FeatureUsage.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(table).values(**values)
    excluded = statement.excluded
    usage: Any = excluded.usage
    if behavior is UsageUpdateBehavior.DELTA:
        usage = case(
            (table.c.period_start == excluded.period_start, table.c.usage + excluded.usage),
            else_=excluded.usage,
        )
    upsert = statement.on_conflict_do_update(
        index_elements=["customer_id", "resource_id", "feature_id"],
        set_={
            "usage": usage,
            "period_start": excluded.period_start,
            "updated_at": excluded.updated_at,
            "version": table.c.version + 1,
        },
    ).returning(table.c.usage, table.c.version)
    usage_now, version = session.execute(upsert).one()
    return Decimal(usage_now), int(version)


def _earlier(
    session: Session, state: EntitlementState, grant: Grant, key: str
) -> UsageMeasurement | None:
    query = select(UsageMeasurement).where(
        UsageMeasurement.customer_id == state.customer_id,
        UsageMeasurement.resource_id == state.resource_key,
        UsageMeasurement.feature_id == grant.feature.id,
        UsageMeasurement.idempotency_key == key,
    )
    return session.exec(query).first()


def record(
    session: Session, state: EntitlementState, grant: Grant, report: UsageReport, now: datetime
) -> Measured:
    """Store one report and apply it to the current usage; a repeated key changes nothing.

    A report timed in an earlier usage period is kept, but the current period's usage
    is not changed by it.
    """
    assert state.customer_id is not None
    if report.idempotency_key is not None:
        earlier = _earlier(session, state, grant, report.idempotency_key)
        if earlier is not None:
            return Measured(earlier, state.customer_ref, grant.feature.ref_id, grant.period(now))
    moment = report.created_at or now
    period = grant.period(now)
    measurement = UsageMeasurement(
        id=new_id(),
        environment_id=state.environment_id,
        customer_id=state.customer_id,
        resource_id=state.resource_key,
        feature_id=grant.feature.id,
        value=report.value,
        update_behavior=report.behavior.value,
        idempotency_key=report.idempotency_key,
        dimensions=dict(report.dimensions) if report.dimensions is not None else None,
        usage_period_start=period.start if period else None,
        usage_period_end=period.end if period else None,
        timestamp=moment,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(measurement)
            session.flush()
    except IntegrityError:
        # The same key, reported concurrently, was stored first: answer with that one.
        earlier = _earlier(session, state, grant, report.idempotency_key or "")
        if earlier is None:
            raise
        return Measured(earlier, state.customer_ref, grant.feature.ref_id, period)
    key = grant.usage_key(now)
    if grant.usage_key(moment) == key:
        measurement.current_usage, version = _upsert(
            session,
            {
                "id": new_id(),
                "environment_id": state.environment_id,
                "customer_id": state.customer_id,
                "resource_id": state.resource_key,
                "feature_id": grant.feature.id,
                "period_start": key,
                "usage": report.value,
                "updated_at": now,
            },
            report.behavior,
        )
        cached = (state.customer_id, state.resource_key, grant.feature.id, key)
        cache.usage_written(session, cached, measurement.current_usage, version)
    else:
        measurement.current_usage = current_usage(session, state, [grant], now).get(
            grant.feature.ref_id, Decimal(0)
        )
    session.flush()
    return Measured(measurement, state.customer_ref, grant.feature.ref_id, period)
