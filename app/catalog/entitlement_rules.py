"""Catalog rules of the entitlements a plan or an addon grants.

What an entitlement may say depends on its feature: only NUMBER features have limits
(usageLimit, unlimited, hasSoftLimit), only ENUM features have enumValues, and only
Incremental usage resets: a Fluctuating count (seats) is the current number, which no
new period starts again from zero.

A feature priced PER_UNIT in a package gets its limit from the quantity bought, so an
entitlement on that feature in the same package would be a second, conflicting limit.

Addons combine with the plan (``behavior``), and only a plan that inherits from a base
plan can take a feature away (``isGranted: false``): a plan without one has nothing to
take away, and leaving the feature out already says it is not granted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.catalog.documents import Location, Problem
from app.models.catalog import (
    BillingModel,
    FeatureType,
    MeterType,
    MonthlyAccordingTo,
    PackageKind,
    ResetPeriod,
    WeeklyAccordingTo,
    YearlyAccordingTo,
)

if TYPE_CHECKING:
    from app.catalog.schemas import EntitlementSpec, FeatureSpec, PriceSpec

# The ``accordingTo`` values of each reset period that has a configuration.
ACCORDING_TO: dict[ResetPeriod, tuple[str, ...]] = {
    ResetPeriod.MONTH: tuple(MonthlyAccordingTo),
    ResetPeriod.WEEK: tuple(WeeklyAccordingTo),
    ResetPeriod.YEAR: tuple(YearlyAccordingTo),
}


@dataclass(frozen=True)
class Inheritance:
    """What a plan inherits: its base plan and the features that plan grants."""

    base_plan: str | None = None
    # Including what the base plan inherits itself; None when the chain of base plans
    # is broken (a cycle, an invalid plan), which is reported on its own.
    granted: frozenset[str] | None = frozenset()


def check_entitlements(
    at: Location,
    entitlements: list[EntitlementSpec],
    prices: list[PriceSpec],
    features: dict[str, FeatureSpec],
    *,
    kind: PackageKind,
    inheritance: Inheritance,
) -> list[Problem]:
    per_unit = {p.feature for p in prices if p.billing_model is BillingModel.PER_UNIT}
    first_of: dict[str, int] = {}
    problems: list[Problem] = []
    for index, entitlement in enumerate(entitlements):
        here = (*at, "entitlements", index)
        ref = entitlement.feature
        if ref in first_of:
            problems.append(
                ((*here, "feature"), f"feature {ref!r} is already in entitlements[{first_of[ref]}]")
            )
        first_of.setdefault(ref, index)
        if ref in per_unit:
            problems.append(
                (
                    (*here, "feature"),
                    f"feature {ref!r} has a PER_UNIT price in this {kind}; "
                    "its limit is the quantity bought",
                )
            )
        if entitlement.behavior is not None and kind is PackageKind.PLAN:
            problems.append(((*here, "behavior"), "only addon entitlements have a behavior"))
        feature = features.get(ref)
        if feature is None:
            continue
        if not entitlement.is_granted:
            problems += _revoked(here, entitlement, kind, inheritance)
            continue
        problems += _limits(here, entitlement, feature)
        problems += _reset(here, entitlement, feature)
        problems += _enum_values(here, entitlement, feature)
    return problems


def _limits(here: Location, entitlement: EntitlementSpec, feature: FeatureSpec) -> list[Problem]:
    ref = feature.id
    if feature.feature_type is not FeatureType.NUMBER:
        return [
            (
                (*here, field),
                f"feature {ref!r} is {feature.feature_type}; only NUMBER features have limits",
            )
            for field, present in (
                ("usageLimit", entitlement.usage_limit is not None),
                ("unlimited", entitlement.unlimited),
                ("hasSoftLimit", entitlement.has_soft_limit),
            )
            if present
        ]
    if entitlement.usage_limit is not None and entitlement.unlimited:
        return [((*here, "unlimited"), "cannot be true together with a usageLimit")]
    if entitlement.usage_limit is None and not entitlement.unlimited:
        return [(here, f"needs a usageLimit or unlimited: true (feature {ref!r} is NUMBER)")]
    if entitlement.has_soft_limit and entitlement.unlimited:
        return [((*here, "hasSoftLimit"), "cannot be true together with unlimited: true")]
    return []


def _reset(here: Location, entitlement: EntitlementSpec, feature: FeatureSpec) -> list[Problem]:
    ref = feature.id
    period = entitlement.reset_period
    problems: list[Problem] = []
    if period is not None:
        if feature.feature_type is not FeatureType.NUMBER:
            problems.append(
                (
                    (*here, "resetPeriod"),
                    f"feature {ref!r} is {feature.feature_type}; only NUMBER features "
                    "with Incremental usage reset",
                )
            )
        elif feature.meter_type is not MeterType.INCREMENTAL:
            problems.append(
                (
                    (*here, "resetPeriod"),
                    f"feature {ref!r} is {feature.meter_type}; only Incremental usage resets",
                )
            )
        elif entitlement.usage_limit is None:
            problems.append(((*here, "resetPeriod"), "needs a usageLimit"))
    configuration = entitlement.reset_period_configuration
    if configuration is None:
        return problems
    there = (*here, "resetPeriodConfiguration")
    if period is None:
        problems.append((there, "needs a resetPeriod"))
    elif period not in ACCORDING_TO:
        problems.append((there, "only MONTH, WEEK and YEAR reset periods have a configuration"))
    elif configuration.according_to not in ACCORDING_TO[period]:
        choices = ", ".join(ACCORDING_TO[period])
        problems.append(
            ((*there, "accordingTo"), f"must be one of {choices} for a {period} reset period")
        )
    return problems


def _enum_values(
    here: Location, entitlement: EntitlementSpec, feature: FeatureSpec
) -> list[Problem]:
    ref = feature.id
    values = entitlement.enum_values
    if feature.feature_type is not FeatureType.ENUM:
        if values is None:
            return []
        return [
            (
                (*here, "enumValues"),
                f"feature {ref!r} is {feature.feature_type}; only ENUM features have enumValues",
            )
        ]
    if values is None:
        return [(here, f"needs enumValues (feature {ref!r} is ENUM)")]
    if not values:
        return [((*here, "enumValues"), "must list at least one value")]
    # An ENUM feature without values is reported on the feature.
    declared = {entry.value for entry in feature.enum_values or ()}
    seen: set[str] = set()
    problems: list[Problem] = []
    for index, value in enumerate(values):
        there = (*here, "enumValues", index)
        if value in seen:
            problems.append((there, f"{value!r} is listed twice"))
        elif declared and value not in declared:
            problems.append((there, f"feature {ref!r} has no value {value!r}"))
        seen.add(value)
    return problems


def _revoked(
    here: Location, entitlement: EntitlementSpec, kind: PackageKind, inheritance: Inheritance
) -> list[Problem]:
    """An entitlement with ``isGranted: false``: it takes an inherited feature away."""
    at = (*here, "isGranted")
    problems: list[Problem] = []
    if kind is not PackageKind.PLAN:
        problems.append((at, "only a plan can take a feature away"))
    elif inheritance.base_plan is None:
        problems.append((at, "needs a basePlan: only an inherited feature can be taken away"))
    elif inheritance.granted is not None and entitlement.feature not in inheritance.granted:
        problems.append(
            (
                at,
                f"base plan {inheritance.base_plan!r} does not grant feature "
                f"{entitlement.feature!r}, so there is nothing to take away",
            )
        )
    for field, present in (
        ("usageLimit", entitlement.usage_limit is not None),
        ("unlimited", entitlement.unlimited),
        ("hasSoftLimit", entitlement.has_soft_limit),
        ("resetPeriod", entitlement.reset_period is not None),
        ("resetPeriodConfiguration", entitlement.reset_period_configuration is not None),
        ("enumValues", entitlement.enum_values is not None),
    ):
        if present:
            problems.append(((*here, field), "must be left out when isGranted is false"))
    return problems
