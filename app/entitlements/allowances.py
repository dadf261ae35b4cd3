"""How the entitlements of one customer to one feature combine.

Each source (a plan version with what it inherits, its addons, a per-subscription value,
a promotion) grants an ``Allowance``. Within one subscription the plan's value is
replaced by a per-subscription value or by the quantity bought of a per-unit feature,
addons marked Override replace it (the largest wins) and the others add their value
times their quantity. Across subscriptions and promotions the most generous allowance
wins. Each rule is one function here so it can change in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Allowance:
    """What one source grants of one feature."""

    usage_limit: Decimal | None = None
    unlimited: bool = False
    soft_limit: bool = False
    enum_values: frozenset[str] = frozenset()
    reset_period: str | None = None
    according_to: str | None = None
    # The source takes the feature away (a child plan revoking its base plan's grant).
    revoked: bool = False


@dataclass(frozen=True, slots=True)
class Candidate:
    """An allowance together with where it comes from, for the most-generous choice."""

    allowance: Allowance
    # Usage periods are counted from here: the subscription's or promotion's start.
    anchor: datetime
    # Among equally generous sources the lower rank decides (paid before trial before
    # promotion), so the choice of anchor never depends on the order rows were read.
    rank: int = 0
    source_ids: tuple[str, ...] = field(default_factory=tuple)


def inherit(chain: Iterable[dict[str, Allowance]]) -> dict[str, Allowance]:
    """A plan's entitlements from its base plans, root first: a child's entry replaces
    the inherited one (a revoking entry included)."""
    merged: dict[str, Allowance] = {}
    for level in chain:
        merged.update(level)
    return merged


def with_addons(
    base: Allowance | None,
    increments: Iterable[tuple[Allowance, int]],
    overrides: Iterable[Allowance],
) -> Allowance | None:
    """The plan's allowance after its addons: the largest override replaces it, then
    each incrementing addon adds its value times its quantity."""
    result = base if base is not None and not base.revoked else None
    overriding = [allowance for allowance in overrides if not allowance.revoked]
    if overriding:
        result = _most_generous_allowance(overriding)
    for allowance, quantity in increments:
        if allowance.revoked:
            continue
        if result is None:
            result = _scaled(allowance, quantity)
            continue
        result = _added(result, allowance, quantity)
    if result is None and base is not None:
        return base  # revoked and nothing added back
    return result


def _scaled(allowance: Allowance, quantity: int) -> Allowance:
    if allowance.usage_limit is None:
        return allowance
    return replace(allowance, usage_limit=allowance.usage_limit * quantity)


def _added(result: Allowance, allowance: Allowance, quantity: int) -> Allowance:
    if result.unlimited or allowance.unlimited:
        return replace(result, unlimited=True, usage_limit=None)
    limit = result.usage_limit
    if allowance.usage_limit is not None:
        limit = (limit or Decimal(0)) + allowance.usage_limit * quantity
    return replace(
        result,
        usage_limit=limit,
        enum_values=result.enum_values | allowance.enum_values,
        soft_limit=result.soft_limit or allowance.soft_limit,
    )


def generosity(allowance: Allowance) -> tuple[int, Decimal]:
    """Unlimited beats any number; a larger limit beats a smaller one."""
    if allowance.revoked:
        return (-1, Decimal(0))
    if allowance.unlimited:
        return (2, Decimal(0))
    if allowance.usage_limit is None:
        return (1, Decimal(0))
    return (1, allowance.usage_limit)


def _most_generous_allowance(allowances: list[Allowance]) -> Allowance:
    return max(allowances, key=generosity)


def most_generous(candidates: list[Candidate]) -> Candidate:
    """The deciding source: the most generous, ties to the lowest rank. ENUM values are
    the union of every granting source's; the soft limit is the winner's."""
    ordered = sorted(candidates, key=lambda c: (-generosity(c.allowance)[0], c.rank))
    winner = max(ordered, key=lambda c: generosity(c.allowance))
    granting = [c for c in candidates if not c.allowance.revoked]
    values = frozenset().union(*(c.allowance.enum_values for c in granting))
    if values == winner.allowance.enum_values:
        return winner
    return replace(winner, allowance=replace(winner.allowance, enum_values=values))
