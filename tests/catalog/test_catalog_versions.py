from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.catalog.schemas import AddonSpec, PlanSpec, parse_catalog
from app.catalog.versions import content_hash
from tests.catalog.factories import set_at, small_catalog

# The small catalog's packages as hashed before entitlements had options and plans base
# plans: a package that uses none of them must keep its hash, or the next apply would
# publish a new version of every package in every environment.
HASHES_BEFORE_OPTIONS = {
    "free": "dc089f8e50f323f4e4577cd49edd960de2a7c260744f85a4ed6bd0a5526708c0",
    "pro": "16dadced085a112e1c3cf4787f1bbf6abe9016f481cd9cf00c9fbf6112e94e1e",
    "more-seats": "68372a24dbb903f2a097e25d2e241492c6b2125934a42a6554b15da0f39171d8",
}


def test_packages_without_the_newer_fields_keep_their_hash() -> None:
    spec = parse_catalog(small_catalog())

    hashes = {p.id: content_hash(p) for p in [*spec.plans, *spec.addons]}

    assert hashes == HASHES_BEFORE_OPTIONS


def _plan(data: dict[str, Any]) -> PlanSpec:
    """``plans[1]`` of ``data``, validated on its own (its rules are not the point here)."""
    return PlanSpec.model_validate(data["plans"][1])


def _addon(data: dict[str, Any]) -> AddonSpec:
    return AddonSpec.model_validate(data["addons"][0])


CHANGES = {
    "base plan": set_at("plans.1.basePlan", "free"),
    "soft limit": set_at("plans.1.entitlements.0.hasSoftLimit", True),
    "reset configuration": set_at(
        "plans.1.entitlements.0.resetPeriodConfiguration", {"accordingTo": "StartOfTheMonth"}
    ),
    "enum values": set_at("plans.1.entitlements.1.enumValues", ["eu"]),
    "feature taken away": set_at("plans.1.entitlements.1.isGranted", False),
}


@pytest.mark.parametrize("edit", CHANGES.values(), ids=CHANGES.keys())
def test_a_newer_field_changes_the_plans_hash(edit: Callable[[dict[str, Any]], None]) -> None:
    data = small_catalog()
    before = content_hash(_plan(data))
    edit(data)

    assert content_hash(_plan(data)) != before


def test_an_overriding_addon_entitlement_changes_the_addons_hash() -> None:
    data = small_catalog()
    before = content_hash(_addon(data))
    data["addons"][0]["entitlements"][0]["behavior"] = "Override"

    assert content_hash(_addon(data)) != before


DEFAULTS_WRITTEN_OUT = {
    "no soft limit": set_at("plans.1.entitlements.0.hasSoftLimit", False),
    "granted": set_at("plans.1.entitlements.1.isGranted", True),
    "usage from the subscription's start": set_at(
        "plans.1.entitlements.0.resetPeriodConfiguration", {"accordingTo": "SubscriptionStart"}
    ),
}


@pytest.mark.parametrize("edit", DEFAULTS_WRITTEN_OUT.values(), ids=DEFAULTS_WRITTEN_OUT.keys())
def test_a_default_written_out_keeps_the_hash(edit: Callable[[dict[str, Any]], None]) -> None:
    data = small_catalog()
    before = content_hash(_plan(data))
    edit(data)

    assert content_hash(_plan(data)) == before


def test_an_addon_entitlement_that_increments_explicitly_keeps_the_hash() -> None:
    data = small_catalog()
    before = content_hash(_addon(data))
    data["addons"][0]["entitlements"][0]["behavior"] = "Increment"

    assert content_hash(_addon(data)) == before


def test_the_order_of_enum_values_does_not_matter() -> None:
    data = small_catalog()
    data["plans"][1]["entitlements"][1]["enumValues"] = ["eu", "us"]
    before = content_hash(_plan(data))
    data["plans"][1]["entitlements"][1]["enumValues"] = ["us", "eu"]

    assert content_hash(_plan(data)) == before
