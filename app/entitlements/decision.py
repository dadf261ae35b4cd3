"""May this customer use this feature? The deny reasons, in the order they are checked.

A check is an answer, never an error: a missing customer, feature or resource is a
denial with its reason. The order of the reasons is a choice of this service (the
platform does not publish one); it lives in ``denial`` alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from app.entitlements.periods import UsagePeriod
from app.entitlements.state import EntitlementState, FeatureInfo, Grant
from app.models.catalog import FeatureType


class AccessDeniedReason(StrEnum):
    BUDGET_EXCEEDED = "BudgetExceeded"
    CUSTOMER_IS_ARCHIVED = "CustomerIsArchived"
    CUSTOMER_NOT_FOUND = "CustomerNotFound"
    CUSTOMER_RESOURCE_NOT_FOUND = "CustomerResourceNotFound"
    ENTITLEMENT_NOT_FOUND = "EntitlementNotFound"
    FEATURE_NOT_FOUND = "FeatureNotFound"
    FEATURE_TYPE_MISMATCH = "FeatureTypeMismatch"
    INSUFFICIENT_CREDITS = "InsufficientCredits"
    NO_ACTIVE_SUBSCRIPTION = "NoActiveSubscription"
    NO_FEATURE_ENTITLEMENT_IN_SUBSCRIPTION = "NoFeatureEntitlementInSubscription"
    REQUESTED_USAGE_EXCEEDING_LIMIT = "RequestedUsageExceedingLimit"
    REQUESTED_VALUES_MISMATCH = "RequestedValuesMismatch"
    REVOKED = "Revoked"
    UNKNOWN = "Unknown"


@dataclass(frozen=True, slots=True)
class Request:
    requested_usage: Decimal | None = None
    requested_values: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    state: EntitlementState
    feature: FeatureInfo | None
    grant: Grant | None
    denied: AccessDeniedReason | None
    current_usage: Decimal
    period: UsagePeriod | None
    request: Request

    @property
    def is_granted(self) -> bool:
        return self.denied is None


def denial(state: EntitlementState, feature: FeatureInfo | None) -> AccessDeniedReason | None:
    """The reason a check fails before looking at usage, or None."""
    if feature is None:
        return AccessDeniedReason.FEATURE_NOT_FOUND
    if state.customer_id is None:
        return AccessDeniedReason.CUSTOMER_NOT_FOUND
    if state.archived:
        return AccessDeniedReason.CUSTOMER_IS_ARCHIVED
    if not state.resource_found:
        return AccessDeniedReason.CUSTOMER_RESOURCE_NOT_FOUND
    if not state.live:
        return AccessDeniedReason.NO_ACTIVE_SUBSCRIPTION
    grant = state.grants.get(feature.ref_id)
    if grant is not None and grant.allowance.revoked:
        return AccessDeniedReason.REVOKED
    if grant is None:
        return AccessDeniedReason.NO_FEATURE_ENTITLEMENT_IN_SUBSCRIPTION
    return None


def within_limit(
    grant: Grant, current_usage: Decimal, request: Request
) -> AccessDeniedReason | None:
    """By feature type: what the grant allows against usage and the requested values."""
    feature = grant.feature
    allowance = grant.allowance
    if feature.feature_type == FeatureType.ENUM.value:
        if request.requested_values and not set(request.requested_values) <= allowance.enum_values:
            return AccessDeniedReason.REQUESTED_VALUES_MISMATCH
        return None
    if feature.feature_type != FeatureType.NUMBER.value or not feature.is_metered:
        return None
    if allowance.unlimited or allowance.soft_limit:
        return None
    if allowance.usage_limit is None:
        return AccessDeniedReason.REQUESTED_USAGE_EXCEEDING_LIMIT
    requested = request.requested_usage or Decimal(0)
    if current_usage + requested <= allowance.usage_limit:
        return None
    return AccessDeniedReason.REQUESTED_USAGE_EXCEEDING_LIMIT


def decide(
    state: EntitlementState,
    feature: FeatureInfo | None,
    request: Request,
    usage: Decimal,
    period: UsagePeriod | None,
) -> Decision:
    reason = denial(state, feature)
    grant = state.grants.get(feature.ref_id) if feature is not None else None
    if reason is None and grant is not None:
        reason = within_limit(grant, usage, request)
    return Decision(
        state=state,
        feature=feature,
        grant=grant if grant is not None and not grant.allowance.revoked else None,
        denied=reason,
        current_usage=usage,
        period=period,
        request=request,
    )


def needs_usage(state: EntitlementState, feature: FeatureInfo | None) -> bool:
    return denial(state, feature) is None and feature is not None and feature.is_metered
