"""Promotional entitlements: features granted to one customer for a while, beside its plans.

A call is all-or-nothing: every grant in it is checked before any row is written, so one
bad grant leaves the customer as it was. Granting a feature the customer already holds a
grant of replaces that grant (it starts again now, with a new end) instead of failing,
which is how a client extends or changes a promotion. A grant's status is worked out
when it is read (``status_at``), never stored, so expiry needs no job.

Every grant and revoke bumps the customer's ``entitlements_version`` in the same
transaction: caches of the customer's entitlements reload when it moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlmodel import Session

from app import clock
from app.catalog import repository as catalog
from app.customers import repository as customers
from app.entitlements import promotions_repository as repository
from app.entitlements.promotions_schemas import (
    GrantPromotionalEntitlements,
    PromotionalEntitlementGrant,
    RevokePromotionalEntitlement,
)
from app.errors import (
    CustomerArchived,
    CustomerNotFound,
    PromotionalEntitlementNotFound,
    ValidationFailed,
)
from app.models import Customer, Environment, Feature, PromotionalEntitlement
from app.models.catalog import FeatureType, MeterType
from app.models.entitlements import PromotionalEntitlementPeriod, PromotionalEntitlementStatus
from app.subscriptions.errors import FeatureNotFound
from app.subscriptions.periods import add_months

log = structlog.get_logger(__name__)

Period = PromotionalEntitlementPeriod
_MONTHS = {Period.ONE_MONTH: 1, Period.SIX_MONTH: 6, Period.ONE_YEAR: 12}


@dataclass(frozen=True)
class GrantedPromotion:
    """A grant as clients see it: the row, its feature and its status at the time asked."""

    grant: PromotionalEntitlement
    feature: Feature
    status: PromotionalEntitlementStatus


def status_at(grant: PromotionalEntitlement, moment: datetime) -> PromotionalEntitlementStatus:
    if grant.paused:
        return PromotionalEntitlementStatus.PAUSED
    if grant.end_date is not None and grant.end_date <= moment:
        return PromotionalEntitlementStatus.EXPIRED
    return PromotionalEntitlementStatus.ACTIVE


def end_date(
    period: PromotionalEntitlementPeriod, start: datetime, custom_end: datetime | None
) -> datetime | None:
    """When a grant made at ``start`` ends; None for LIFETIME. Months are calendar
    months, clamped to the month's end (Jan 31 + 1 month = Feb 29 in a leap year)."""
    if period is Period.LIFETIME:
        return None
    if period is Period.CUSTOM:
        return custom_end
    if period is Period.ONE_WEEK:
        return start + timedelta(weeks=1)
    return add_months(start, _MONTHS[period])


def promotional_entitlements_of(session: Session, customer: Customer) -> list[GrantedPromotion]:
    """The customer's grants, expired ones included, ordered by feature ref id."""
    now = clock.now()
    return [
        GrantedPromotion(grant, feature, status_at(grant, now))
        for grant, feature in repository.grants_of_customer(session, customer.id)
    ]


def grant_promotional_entitlements(
    session: Session, environment: Environment, request: GrantPromotionalEntitlements
) -> list[GrantedPromotion]:
    """Grant (or re-grant) each feature; the answer follows the request's order."""
    now = clock.now()
    _check_environment(environment, request.environmentId)
    grants = request.promotionalEntitlements
    _check_distinct(grants)
    for index, grant in enumerate(grants):
        _check_period(grant, now, _at(index))
    customer = _customer(session, environment, request.customerId)
    features = catalog.features_by_refs(session, environment.id, {g.featureId for g in grants})
    chosen: list[Feature] = []
    for index, grant in enumerate(grants):
        feature = features.get(grant.featureId)
        if feature is None:
            at = _at(index)
            raise FeatureNotFound(
                f"{at}.featureId: no feature {grant.featureId!r} in this environment",
                field=f"{at}.featureId",
            )
        _check_fits(grant, feature, _at(index))
        chosen.append(feature)
    held = repository.grants_by_feature(session, customer.id, [f.id for f in chosen])
    granted: list[GrantedPromotion] = []
    for grant, feature in zip(grants, chosen, strict=True):
        row = held.get(feature.id)
        if row is None:
            row = PromotionalEntitlement(
                environment_id=environment.id,
                customer_id=customer.id,
                feature_id=feature.id,
                period=grant.period,
                start_date=now,
                created_at=now,
            )
        _write(row, grant, now)
        session.add(row)
        granted.append(GrantedPromotion(row, feature, status_at(row, now)))
    # The flush counts the change in the customer's entitlements version (see
    # app.entitlements.cache), in this transaction.
    session.flush()
    log.info(
        "promotions.granted",
        customer_id=customer.id,
        features=[f.ref_id for f in chosen],
        replaced=len(held),
    )
    return granted


def revoke_promotional_entitlement(
    session: Session, environment: Environment, request: RevokePromotionalEntitlement
) -> GrantedPromotion:
    """Delete the customer's grant of the feature; the answer is the grant revoked."""
    now = clock.now()
    _check_environment(environment, request.environmentId)
    customer = _customer(session, environment, request.customerId)
    found = repository.grant_of_feature_ref(session, customer.id, request.featureId)
    if found is None:
        raise PromotionalEntitlementNotFound(
            f"customer {request.customerId!r} holds no promotional entitlement to feature "
            f"{request.featureId!r}",
            field="input.featureId",
        )
    grant, feature = found
    revoked = GrantedPromotion(grant, feature, status_at(grant, now))
    repository.delete(session, grant)
    log.info("promotions.revoked", customer_id=customer.id, feature=feature.ref_id)
    return revoked


def _write(row: PromotionalEntitlement, grant: PromotionalEntitlementGrant, now: datetime) -> None:
    """Make ``row`` the grant asked for, starting now; a replaced grant keeps only its id
    and creation time (a pause does not carry over to the new grant)."""
    row.period = grant.period
    row.start_date = now
    row.end_date = end_date(grant.period, now, grant.customEndDate)
    row.usage_limit = grant.usageLimit
    row.has_unlimited_usage = bool(grant.hasUnlimitedUsage)
    row.has_soft_limit = bool(grant.hasSoftLimit)
    row.enum_values = list(grant.enumValues) if grant.enumValues is not None else None
    row.reset_period = grant.resetPeriod
    row.reset_according_to = grant.resetAccordingTo
    row.is_visible = grant.visible
    row.paused = False
    row.updated_at = now


def _at(index: int) -> str:
    return f"input.promotionalEntitlements[{index}]"


def _refused(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", field=field)


def _check_environment(environment: Environment, environment_id: str | None) -> None:
    # The API key chooses the environment; an environmentId may only repeat it.
    if environment_id is not None and environment_id != environment.id:
        raise _refused(
            "input.environmentId", f"{environment_id!r} is not the API key's environment"
        )


def _customer(session: Session, environment: Environment, customer_id: str) -> Customer:
    # The customer's row is the first lock of the transaction, so concurrent grants
    # and revokes for one customer queue instead of racing on its grants.
    customer = customers.find_for_update(session, environment.id, customer_id)
    if customer is None:
        raise CustomerNotFound(f"customer {customer_id!r} not found", field="input.customerId")
    if customer.archived_at is not None:
        raise CustomerArchived(
            f"customer {customer_id!r} is archived; unarchive it to grant or revoke",
            field="input.customerId",
        )
    return customer


def _check_distinct(grants: list[PromotionalEntitlementGrant]) -> None:
    first: dict[str, int] = {}
    for index, grant in enumerate(grants):
        if grant.featureId in first:
            raise _refused(
                f"{_at(index)}.featureId",
                f"feature {grant.featureId!r} is already granted in "
                f"promotionalEntitlements[{first[grant.featureId]}]",
            )
        first[grant.featureId] = index


def _check_period(grant: PromotionalEntitlementGrant, now: datetime, at: str) -> None:
    field = f"{at}.customEndDate"
    if grant.period is Period.CUSTOM:
        if grant.customEndDate is None:
            raise _refused(field, "is required when period is CUSTOM")
        if grant.customEndDate <= now:
            raise _refused(field, "must be in the future")
    elif grant.customEndDate is not None:
        raise _refused(field, f"only applies to period CUSTOM, not {grant.period}")


def _check_fits(grant: PromotionalEntitlementGrant, feature: Feature, at: str) -> None:
    """What the grant sets must exist on its feature's type."""
    ref, kind = feature.ref_id, FeatureType(feature.feature_type)
    number = kind is FeatureType.NUMBER
    for name, given in (
        ("usageLimit", grant.usageLimit is not None),
        ("hasUnlimitedUsage", bool(grant.hasUnlimitedUsage)),
        ("hasSoftLimit", bool(grant.hasSoftLimit)),
    ):
        if given and not number:
            raise _refused(
                f"{at}.{name}", f"feature {ref!r} is {kind}; only NUMBER features have limits"
            )
    if number:
        if grant.usageLimit is not None and grant.hasUnlimitedUsage:
            raise _refused(f"{at}.hasUnlimitedUsage", "cannot be true together with a usageLimit")
        if grant.usageLimit is None and not grant.hasUnlimitedUsage:
            raise _refused(
                f"{at}.usageLimit",
                f"is required for NUMBER feature {ref!r} unless hasUnlimitedUsage is true",
            )
    _check_enum_values(grant, feature, kind, at)
    if grant.resetPeriod is not None:
        meter = MeterType(feature.meter_type)
        if not number or meter is not MeterType.INCREMENTAL:
            raise _refused(
                f"{at}.resetPeriod",
                f"feature {ref!r} is {kind} with meter type {meter}; only NUMBER features "
                "with an Incremental meter reset",
            )


def _check_enum_values(
    grant: PromotionalEntitlementGrant, feature: Feature, kind: FeatureType, at: str
) -> None:
    ref, values = feature.ref_id, grant.enumValues
    if kind is not FeatureType.ENUM:
        if values is not None:
            raise _refused(
                f"{at}.enumValues", f"feature {ref!r} is {kind}; only ENUM features have values"
            )
        return
    if not values:
        raise _refused(f"{at}.enumValues", f"is required for ENUM feature {ref!r}")
    known = [str(item.get("value")) for item in feature.enum_values or []]
    seen: dict[str, int] = {}
    for position, value in enumerate(values):
        field = f"{at}.enumValues[{position}]"
        if value not in known:
            raise _refused(
                field,
                f"{value!r} is not a value of feature {ref!r} (its values: {', '.join(known)})",
            )
        if value in seen:
            raise _refused(field, f"{value!r} is already in enumValues[{seen[value]}]")
        seen[value] = position
