"""Entitlement checks and calculated usage reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from sqlmodel import Session

from app import clock
from app.customers import repository as customers
from app.entitlements import cache, refresher, repository, state, usage
from app.entitlements.decision import Decision, Request, decide, denial, needs_usage
from app.entitlements.errors import (
    CustomerResourceNotFound,
    FeatureMeteredByEvents,
    FeatureNotMetered,
    NoFeatureEntitlement,
    TooManyItems,
)
from app.entitlements.state import EntitlementState, FeatureInfo, Grant
from app.entitlements.usage import Measured, UsageReport

__all__ = ["CheckQuery", "TooManyItems", "UsageReport"]
from app.errors import CustomerArchived, CustomerNotFound, ValidationFailed
from app.models import Environment
from app.subscriptions.errors import FeatureNotFound

# reportUsageBulk takes at most this many reports (the platform's limit).
MAX_BULK_REPORTS = 100
# Reports timed further ahead than this are refused; clocks drift, a day does not.
MAX_FUTURE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class CheckQuery:
    customer_ref: str
    feature_ref: str
    resource_id: str | None = None
    requested_usage: Decimal | None = None
    requested_values: tuple[str, ...] | None = None


def features(session: Session, environment_id: str) -> dict[str, FeatureInfo]:
    """The environment's active features by refId, cached until the catalog changes."""
    found: dict[str, FeatureInfo] | None = cache.features.get(environment_id)
    if found is None:
        generation = cache.states.generation
        found = {
            row.ref_id: FeatureInfo.of(row) for row in repository.features(session, environment_id)
        }
        if generation == cache.states.generation:
            cache.features[environment_id] = found
    return found


def state_for(
    session: Session,
    environment_id: str,
    customer_ref: str,
    resource_id: str | None,
    now: datetime,
    *,
    version: int | None = None,
) -> EntitlementState:
    """The customer's state, cached. With ``version`` (the customer's entitlements version
    as read in the caller's transaction) a cached state of another version is read afresh,
    so a writer never acts on a state another process has changed meanwhile."""
    key = (environment_id, customer_ref, resource_id)
    found = cache.states.get(key, now)
    if found is None or (version is not None and found.version != version):
        generation = cache.states.generation
        found = state.load(session, environment_id, customer_ref, resource_id, now)
        cache.states.put(key, found, generation)
    return found


def _usage_key(state: EntitlementState, grant: Grant, now: datetime) -> cache.UsageKey:
    assert state.customer_id is not None
    return (state.customer_id, state.resource_key, grant.feature.id, grant.usage_key(now))


def usage_of(
    session: Session, current: EntitlementState, grants: Sequence[Grant], now: datetime
) -> dict[str, Decimal]:
    """Current usage by feature refId of metered grants: as cached, else read and cached."""
    metered = [grant for grant in grants if grant.feature.is_metered]
    if current.customer_id is None or not metered:
        return {}
    found: dict[str, Decimal] = {}
    missing: list[tuple[Grant, cache.UsageKey, object]] = []
    for grant in metered:
        key = _usage_key(current, grant, now)
        seen = cache.usage.entry(key)
        value = cache.usage.get(key)
        if value is None:
            missing.append((grant, key, seen))
        else:
            found[grant.feature.ref_id] = value
    if missing:
        generation = cache.usage.generation
        read = usage.current_usage(session, current, [grant for grant, *_ in missing], now)
        for grant, key, seen in missing:
            value = read.get(grant.feature.ref_id, Decimal(0))
            cache.usage.put(key, value, generation, seen)
            found[grant.feature.ref_id] = value
    return found


def _decision(
    current: EntitlementState,
    feature: FeatureInfo | None,
    query: CheckQuery,
    used: Decimal,
    now: datetime,
) -> Decision:
    grant = current.grants.get(feature.ref_id) if feature is not None else None
    period = grant.period(now) if grant is not None and denial(current, feature) is None else None
    request = Request(query.requested_usage, query.requested_values)
    return decide(current, feature, request, used, period)


def check_cached(environment: Environment, query: CheckQuery) -> Decision | None:
    """The check answered from the caches alone, or None when anything must be read.

    This is the hot path: no session, no query, no thread.
    """
    now = clock.now()
    known: dict[str, FeatureInfo] | None = cache.features.get(environment.id)
    if known is None:
        return None
    feature = known.get(query.feature_ref)
    key = (environment.id, query.customer_ref, query.resource_id)
    current, due = cache.states.lookup(key, now)
    if current is None:
        return None
    if due:
        refresher.due(("state", key), partial(_reload_state, key))
    used = Decimal(0)
    grant = current.grants.get(feature.ref_id) if feature is not None else None
    if needs_usage(current, feature) and grant is not None:
        value, due = cache.usage.lookup(_usage_key(current, grant, now))
        if value is None:
            return None
        if due:
            feature_ref = grant.feature.ref_id
            refresher.due(("usage", key, feature_ref), partial(_reload_usage, key, feature_ref))
        used = value
    return _decision(current, feature, query, used, now)


def _reload_state(key: cache.StateKey, session: Session) -> None:
    # state_for reads past an aged entry (and not again if one fresh came meanwhile).
    state_for(session, *key, clock.now())


def _reload_usage(key: cache.StateKey, feature_ref: str, session: Session) -> None:
    now = clock.now()
    current = state_for(session, *key, now)
    grant = current.grants.get(feature_ref)
    if grant is not None:
        usage_of(session, current, [grant], now)


def check(session: Session, environment: Environment, query: CheckQuery) -> Decision:
    now = clock.now()
    feature = features(session, environment.id).get(query.feature_ref)
    current = state_for(session, environment.id, query.customer_ref, query.resource_id, now)
    grant = current.grants.get(feature.ref_id) if feature is not None else None
    used = Decimal(0)
    if needs_usage(current, feature) and grant is not None:
        used = usage_of(session, current, [grant], now).get(grant.feature.ref_id, used)
    return _decision(current, feature, query, used, now)


def checks(
    session: Session,
    environment: Environment,
    customer_ref: str,
    resource_id: str | None,
    *,
    fresh: bool = False,
) -> list[Decision]:
    """Every entitlement the customer holds (in scope), with usage; none when it has none.

    ``fresh`` reads past the cache: a mutation shows what its own uncommitted changes
    grant, and that must never be cached (the transaction may still roll back).
    """
    now = clock.now()
    if fresh:
        current = state.load(session, environment.id, customer_ref, resource_id, now)
    else:
        current = state_for(session, environment.id, customer_ref, resource_id, now)
    granting = [
        grant
        for grant in current.grants.values()
        if not grant.allowance.revoked and denial(current, grant.feature) is None
    ]
    used = (
        usage.current_usage(session, current, granting, now)
        if fresh
        else usage_of(session, current, granting, now)
    )
    return [
        decide(
            current,
            grant.feature,
            Request(),
            used.get(grant.feature.ref_id, Decimal(0)),
            grant.period(now),
        )
        for grant in sorted(granting, key=lambda g: g.feature.ref_id)
    ]


def _validated(report: UsageReport, now: datetime) -> None:
    if report.created_at is not None and report.created_at > now + MAX_FUTURE:
        raise ValidationFailed(
            "createdAt is in the future; usage is reported when it happened", field="createdAt"
        )


def report_usage(
    session: Session, environment: Environment, reports: Sequence[UsageReport]
) -> list[Measured]:
    """Apply reports in order, all or none."""
    if len(reports) > MAX_BULK_REPORTS:
        raise TooManyItems(
            f"at most {MAX_BULK_REPORTS} usage reports per call, got {len(reports)}",
            field="usages",
        )
    now = clock.now()
    measured: list[Measured] = []
    for report in reports:
        _validated(report, now)
        customer = customers.find(session, environment.id, report.customer_ref)
        if customer is None:
            raise CustomerNotFound(
                f"customer {report.customer_ref!r} not found", field="customerId"
            )
        if customer.archived_at is not None:
            raise CustomerArchived(
                f"customer {report.customer_ref!r} is archived", field="customerId"
            )
        feature = features(session, environment.id).get(report.feature_ref)
        if feature is None:
            raise FeatureNotFound(f"feature {report.feature_ref!r} not found", field="featureId")
        if not feature.is_metered:
            raise FeatureNotMetered(
                f"feature {report.feature_ref!r} has no usage to report (meter type None)",
                field="featureId",
            )
        if feature.meter:
            raise FeatureMeteredByEvents(
                f"feature {report.feature_ref!r} is metered from raw events: report them "
                "with reportEvent",
                field="featureId",
            )
        current = state_for(
            session,
            environment.id,
            report.customer_ref,
            report.resource_id,
            now,
            version=customer.entitlements_version,
        )
        if not current.resource_found:
            raise CustomerResourceNotFound(
                f"customer {report.customer_ref!r} has no subscription for resource "
                f"{report.resource_id!r}",
                field="resourceId",
            )
        grant = current.grants.get(feature.ref_id)
        if grant is None or grant.allowance.revoked:
            raise NoFeatureEntitlement(
                f"customer {report.customer_ref!r} has no live entitlement to feature "
                f"{report.feature_ref!r}",
                field="featureId",
            )
        measured.append(usage.record(session, current, grant, report, now))
    return measured
