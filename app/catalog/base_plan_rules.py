"""Catalog rules of base plans, and what each plan inherits through them.

A plan may name a ``basePlan`` of the same product whose entitlements it inherits; its
own entitlements replace inherited ones, and ``isGranted: false`` takes one away. The
base plans of a plan form a chain that must end: a cycle is reported once, on the plan
of the cycle that comes first in the file, so the message names every plan in it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.catalog.documents import Problem
from app.catalog.entitlement_rules import Inheritance

if TYPE_CHECKING:
    from app.catalog.schemas import PlanSpec, ProductSpec


def check_base_plans(
    plans: list[tuple[int, PlanSpec]],
    by_id: dict[str, PlanSpec],
    products: dict[str, ProductSpec],
) -> tuple[list[Problem], dict[int, Inheritance]]:
    """The problems of each plan's ``basePlan``, and each plan's inheritance by index."""
    problems: list[Problem] = []
    order = {plan.id: index for index, plan in reversed(plans)}
    cyclic: set[str] = set()
    for index, plan in plans:
        here = ("plans", index, "basePlan")
        base = by_id.get(plan.base_plan) if plan.base_plan else None
        if base is None:
            continue
        if base.id == plan.id:
            problems.append((here, "a plan cannot be its own base plan"))
            cyclic.add(plan.id)
            continue
        if plan.product in products and base.product in products and base.product != plan.product:
            problems.append((here, f"plan {base.id!r} belongs to product {base.product!r}"))
        cycle = _cycle_from(plan, by_id)
        if cycle:
            cyclic.update(cycle)
            if order.get(plan.id) == index and index == min(order[ref] for ref in cycle):
                path = " -> ".join([*cycle, plan.id])
                problems.append((here, f"base plans form a cycle: {path}"))
    granted: dict[str, frozenset[str] | None] = {}
    inheritance = {
        index: Inheritance(plan.base_plan, _granted(plan.base_plan, by_id, cyclic, granted))
        if plan.base_plan
        else Inheritance()
        for index, plan in plans
    }
    return problems, inheritance


def _cycle_from(plan: PlanSpec, by_id: dict[str, PlanSpec]) -> list[str]:
    """The plans of the cycle ``plan`` is in, starting with it; empty when in none."""
    chain = [plan.id]
    current = plan
    while current.base_plan is not None and current.base_plan in by_id:
        if current.base_plan == plan.id:
            return chain
        if current.base_plan in chain:
            return []  # a cycle further up that this plan only leads into
        current = by_id[current.base_plan]
        chain.append(current.id)
    return []


def _granted(
    ref: str,
    by_id: dict[str, PlanSpec],
    cyclic: set[str],
    memo: dict[str, frozenset[str] | None],
) -> frozenset[str] | None:
    """The features plan ``ref`` grants with what it inherits; None if unknowable."""
    if ref in memo:
        return memo[ref]
    plan = by_id.get(ref)
    if plan is None or ref in cyclic:
        memo[ref] = None
        return None
    memo[ref] = None  # set before following the chain, so no chain is followed forever
    inherited: frozenset[str] | None = frozenset()
    if plan.base_plan is not None:
        inherited = _granted(plan.base_plan, by_id, cyclic, memo)
    result = None
    if inherited is not None:
        taken = {e.feature for e in plan.entitlements if not e.is_granted}
        given = {e.feature for e in plan.entitlements if e.is_granted}
        result = frozenset((inherited - taken) | given)
    memo[ref] = result
    return result
