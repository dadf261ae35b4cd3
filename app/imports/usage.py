"""Applying a chunk of usage rows: each sets a feature's current usage (as a report with
``updateBehavior: SET`` would), all of the chunk in one upsert.

Usage that resets counts in the customer's current usage period, which its entitlement
decides, so those rows need the customer's entitlement state (loaded once per customer
and resource in the chunk) and fail without an entitlement to the feature. A current
count that never resets (seats) is stored as such.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table
from sqlmodel import Session

from app.catalog import repository as catalog
from app.entitlements import bulk, cache
from app.entitlements import state as entitlement_state
from app.imports import repository
from app.imports.outcomes import ChunkResult, Outcome
from app.imports.schemas import UsageRow
from app.models import Environment, FeatureUsage
from app.models.base import new_id
from app.models.catalog import MeterType
from app.models.entitlements import NEVER_RESETS

_COLUMNS = (
    "id",
    "environment_id",
    "customer_id",
    "resource_id",
    "feature_id",
    "period_start",
    "usage",
    "updated_at",
)


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    table: Table = FeatureUsage.__table__  # type: ignore[attr-defined]
    dialect = bulk.dialect_of(session)
    statement = bulk.insert(dialect, table, _COLUMNS)
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=["customer_id", "resource_id", "feature_id"],
        set_={
            "usage": excluded.usage,
            "period_start": excluded.period_start,
            "updated_at": excluded.updated_at,
            "version": table.c.version + 1,
        },
    )
    session.execute(statement, bulk.parameters(dialect, rows))


def apply(
    session: Session, environment: Environment, rows: Sequence[tuple[int, UsageRow]], now: datetime
) -> ChunkResult:
    result = ChunkResult()
    customers = repository.customer_facts_by_ref(
        session, environment.id, {r.customerId for _, r in rows}
    )
    features = catalog.features_by_refs(session, environment.id, {r.featureId for _, r in rows})
    stored = repository.usage_of(
        session, {c.id for c in customers.values()}, {f.id for f in features.values()}
    )
    states: dict[tuple[str, str | None], entitlement_state.EntitlementState] = {}
    upserts: list[dict[str, Any]] = []
    for index, row in rows:
        customer = customers.get(row.customerId)
        feature = features.get(row.featureId)
        if customer is None or customer.archived_at is not None or feature is None:
            result.set(index, Outcome.FAILED, "the customer or feature is gone")
            continue
        if feature.meter_type == MeterType.INCREMENTAL.value:
            scope = (row.customerId, row.resourceId)
            if scope not in states:
                states[scope] = entitlement_state.load(
                    session, environment.id, row.customerId, row.resourceId, now
                )
            grant = states[scope].grants.get(row.featureId)
            if grant is None:
                result.set(
                    index,
                    Outcome.FAILED,
                    f"customer {row.customerId!r} has no entitlement to {row.featureId!r}",
                )
                continue
            period_start = grant.usage_key(now)
        else:
            period_start = NEVER_RESETS
        resource = row.resourceId or ""
        held = stored.get((customer.id, resource, feature.id))
        if held is not None and held.period_start == period_start and held.usage == row.usage:
            result.set(index, Outcome.UNCHANGED)
            continue
        result.set(index, Outcome.CREATED if held is None else Outcome.UPDATED)
        upserts.append(
            {
                "id": new_id(),
                "environment_id": environment.id,
                "customer_id": customer.id,
                "resource_id": resource,
                "feature_id": feature.id,
                "period_start": period_start,
                "usage": Decimal(row.usage),
                "updated_at": now,
            }
        )
    _upsert(session, upserts)
    if upserts:
        cache.usage_reported(session, {values["customer_id"] for values in upserts})
    return result
