"""Scalars, enums and helpers shared by the GraphQL types."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types.nodes import FragmentSpread, InlineFragment, Selection

from app.catalog.repository import SortDirection
from app.customers.service import SubscriptionDecisionStrategy
from app.models.catalog import (
    BillingModel,
    BillingPeriod,
    FeatureType,
    MeterType,
    MonthlyAccordingTo,
    PricingType,
    TrialEndBehavior,
    WeeklyAccordingTo,
    YearlyAccordingTo,
)
from app.models.catalog import CatalogStatus as CouponStatus
from app.models.catalog import DiscountType as CouponType
from app.models.catalog import ResetPeriod as EntitlementResetPeriod
from app.models.entitlements import (
    PromotionalEntitlementPeriod,
    PromotionalEntitlementStatus,
    UsageUpdateBehavior,
)
from app.models.subscriptions import PaymentCollection, SubscriptionStatus
from app.subscriptions.schemas import CancellationTime as SubscriptionCancellationTime
from app.subscriptions.schemas import MigrationTime as SubscriptionMigrationTime
from app.subscriptions.service import ProvisionStatus as ProvisionSubscriptionStatus

__all__ = [
    "JSON",
    "BillingModel",
    "BillingPeriod",
    "CouponStatus",
    "CouponType",
    "EntitlementResetPeriod",
    "FeatureType",
    "MeterType",
    "MonthlyAccordingTo",
    "PaymentCollection",
    "PricingType",
    "PromotionalEntitlementPeriod",
    "PromotionalEntitlementStatus",
    "ProvisionSubscriptionStatus",
    "SortDirection",
    "SubscriptionCancellationTime",
    "SubscriptionDecisionStrategy",
    "SubscriptionInvoiceStatus",
    "SubscriptionMigrationTime",
    "SubscriptionStatus",
    "TrialEndBehavior",
    "UsageUpdateBehavior",
    "WeeklyAccordingTo",
    "YearlyAccordingTo",
]


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds, as the platform writes times."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def number(value: Decimal | None) -> float | None:
    """Decimals leave the API as GraphQL Floats (the platform's schema types them so)."""
    return None if value is None else float(value)


def json_value(value: Any) -> JSON | None:
    return None if value is None else JSON(value)


# The domain's enums are the GraphQL enums; their values are the platform's names
# (``MeterType.NONE`` is ``None`` on the wire), so the values name the GraphQL members.
for _enum, _name in (
    (FeatureType, "FeatureType"),
    (MeterType, "MeterType"),
    (BillingPeriod, "BillingPeriod"),
    (BillingModel, "BillingModel"),
    (PricingType, "PricingType"),
    (TrialEndBehavior, "TrialEndBehavior"),
    (EntitlementResetPeriod, "EntitlementResetPeriod"),
    (CouponType, "CouponType"),
    (CouponStatus, "CouponStatus"),
    (SubscriptionDecisionStrategy, "SubscriptionDecisionStrategy"),
    (SubscriptionStatus, "SubscriptionStatus"),
    (PaymentCollection, "PaymentCollection"),
    (SubscriptionCancellationTime, "SubscriptionCancellationTime"),
    (SubscriptionMigrationTime, "SubscriptionMigrationTime"),
    (ProvisionSubscriptionStatus, "ProvisionSubscriptionStatus"),
    (SortDirection, "SortDirection"),
    (MonthlyAccordingTo, "MonthlyAccordingTo"),
    (WeeklyAccordingTo, "WeeklyAccordingTo"),
    (YearlyAccordingTo, "YearlyAccordingTo"),
    (PromotionalEntitlementPeriod, "PromotionalEntitlementPeriod"),
    (PromotionalEntitlementStatus, "PromotionalEntitlementStatus"),
    (UsageUpdateBehavior, "UsageUpdateBehavior"),
):
    strawberry.enum(_enum, name=_name, graphql_name_from="value")


@strawberry.enum
class SubscriptionInvoiceStatus(enum.Enum):
    """Declared for ``SubscriptionInvoice``; no invoice exists until billing is integrated."""

    CANCELED = "CANCELED"
    OPEN = "OPEN"
    PAID = "PAID"


def selects(selections: Sequence[Selection], *path: str) -> bool:
    """Whether ``selections`` (a field's, from ``info.selected_fields``) select the field
    at ``path`` (GraphQL names, through fragments), so a resolver computes what is costly
    only when it is asked for."""
    name, rest = path[0], path[1:]
    for selection in selections:
        if isinstance(selection, FragmentSpread | InlineFragment):
            if selects(selection.selections, *path):
                return True
        elif selection.name == name and (not rest or selects(selection.selections, *rest)):
            return True
    return False
