from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.catalog.schemas import parse_catalog
from tests.catalog.factories import problems_of, set_at, small_catalog


def _catalog() -> dict[str, Any]:
    """The small catalog with ``plans[2]``, team: pro without SSO."""
    data = small_catalog()
    data["plans"].append(
        {
            "id": "team",
            "product": "app",
            "displayName": "Team",
            "pricingType": "CUSTOM",
            "basePlan": "pro",
            "entitlements": [{"feature": "sso", "isGranted": False}],
        }
    )
    return data


def _plan(ref: str, base: str | None, *revoked: str) -> dict[str, Any]:
    plan: dict[str, Any] = {
        "id": ref,
        "product": "app",
        "displayName": ref,
        "pricingType": "CUSTOM",
        "entitlements": [{"feature": feature, "isGranted": False} for feature in revoked],
    }
    if base is not None:
        plan["basePlan"] = base
    return plan


def test_plan_with_a_base_plan_may_take_an_inherited_feature_away() -> None:
    team = parse_catalog(_catalog()).plans[2]

    assert team.base_plan == "pro"
    assert [(e.feature, e.is_granted) for e in team.entitlements] == [("sso", False)]


def test_features_are_inherited_through_the_whole_chain() -> None:
    data = _catalog()
    data["plans"].append(_plan("enterprise", "team", "seats"))

    assert parse_catalog(data).plans[3].entitlements[0].is_granted is False


Edit = Callable[[dict[str, Any]], object]


def _all(*edits: Edit) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        for each in edits:
            each(data)

    return edit


def _append_plan(ref: str, base: str | None, *revoked: str) -> Edit:
    return lambda data: data["plans"].append(_plan(ref, base, *revoked))


def _other_product(data: dict[str, Any]) -> None:
    data["products"].append({"id": "other", "displayName": "Other"})
    other = _plan("other-free", None)
    other["product"] = "other"
    other["entitlements"] = [{"feature": "sso"}]
    data["plans"].append(other)
    data["plans"][2]["basePlan"] = "other-free"


CASES = {
    "plan that is its own base plan": (
        set_at("plans.2.basePlan", "team"),
        ["plans[2].basePlan: a plan cannot be its own base plan"],
    ),
    "base plan the file does not declare": (
        set_at("plans.2.basePlan", "ghost"),
        ["plans[2].basePlan: unknown plan 'ghost'"],
    ),
    "base plan of another product": (
        _other_product,
        ["plans[2].basePlan: plan 'other-free' belongs to product 'other'"],
    ),
    "two plans based on each other": (
        set_at("plans.1.basePlan", "team"),
        ["plans[1].basePlan: base plans form a cycle: pro -> team -> pro"],
    ),
    "three plans in a cycle": (
        _all(set_at("plans.0.basePlan", "team"), set_at("plans.1.basePlan", "free")),
        ["plans[0].basePlan: base plans form a cycle: free -> team -> pro -> free"],
    ),
    "plan leading into a cycle, which is reported once": (
        _all(set_at("plans.1.basePlan", "team"), _append_plan("enterprise", "team", "seats")),
        ["plans[1].basePlan: base plans form a cycle: pro -> team -> pro"],
    ),
    "taking away a feature the base plan does not grant": (
        set_at("plans.2.basePlan", "free"),
        [
            "plans[2].entitlements[0].isGranted: base plan 'free' does not grant feature "
            "'sso', so there is nothing to take away"
        ],
    ),
    "taking away a feature the base plan took away itself": (
        _append_plan("enterprise", "team", "sso"),
        [
            "plans[3].entitlements[0].isGranted: base plan 'team' does not grant feature "
            "'sso', so there is nothing to take away"
        ],
    ),
    "a broken base plan is not reported again where it is named": (
        lambda data: data["plans"][1].pop("displayName"),
        ["plans[1].displayName: is required"],
    ),
}


@pytest.mark.parametrize(("edit", "problems"), CASES.values(), ids=CASES.keys())
def test_base_plan_rule_violation_is_reported_at_its_path(edit: Edit, problems: list[str]) -> None:
    data = _catalog()
    edit(data)

    assert problems_of(data) == problems


REVOKED_WITH = {
    "usageLimit": 3,
    "unlimited": True,
    "hasSoftLimit": True,
    "resetPeriod": "MONTH",
    "resetPeriodConfiguration": {"accordingTo": "StartOfTheMonth"},
    "enumValues": ["eu"],
}


@pytest.mark.parametrize(("field", "value"), REVOKED_WITH.items(), ids=REVOKED_WITH.keys())
def test_a_feature_taken_away_has_nothing_else_to_say(field: str, value: object) -> None:
    data = _catalog()
    data["plans"][2]["entitlements"][0][field] = value

    assert problems_of(data) == [
        f"plans[2].entitlements[0].{field}: must be left out when isGranted is false"
    ]
