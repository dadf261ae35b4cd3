from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.catalog.schemas import parse_catalog
from tests.catalog.factories import problems_of, set_at, small_catalog


def _catalog() -> dict[str, Any]:
    """The small catalog with Incremental, ENUM and Fluctuating features granted by pro.

    ``plans[1].entitlements``: [0] seats (unlimited), [1] sso, [2] logins, [3] region.
    """
    data = small_catalog()
    data["features"] += [
        {
            "id": "logins",
            "displayName": "Logins",
            "featureType": "NUMBER",
            "meterType": "Incremental",
        },
        {
            "id": "region",
            "displayName": "Region",
            "featureType": "ENUM",
            "enumValues": [
                {"value": "eu", "displayName": "Europe"},
                {"value": "us", "displayName": "United States"},
            ],
        },
        {
            "id": "storage",
            "displayName": "Storage",
            "featureType": "NUMBER",
            "meterType": "Fluctuating",
        },
    ]
    data["plans"][1]["entitlements"] += [
        {
            "feature": "logins",
            "usageLimit": 100,
            "hasSoftLimit": True,
            "resetPeriod": "MONTH",
            "resetPeriodConfiguration": {"accordingTo": "StartOfTheMonth"},
        },
        {"feature": "region", "enumValues": ["eu"]},
    ]
    return data


def _pop(path: str, key: str) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        node: Any = data
        for part in path.split("."):
            node = node[int(part) if part.isdigit() else part]
        del node[key]

    return edit


def test_entitlement_options_are_read() -> None:
    pro = parse_catalog(_catalog()).plans[1]
    logins, region = pro.entitlements[2], pro.entitlements[3]

    assert (logins.has_soft_limit, logins.reset_according_to) == (True, "StartOfTheMonth")
    assert region.enum_values == ["eu"]
    assert (logins.is_granted, logins.entitlement_behavior) == (True, "Increment")


@pytest.mark.parametrize(
    ("period", "according_to"),
    [("MONTH", "SubscriptionStart"), ("WEEK", "EverySunday"), ("YEAR", "SubscriptionStart")],
)
def test_each_reset_period_takes_its_own_configuration(period: str, according_to: str) -> None:
    data = _catalog()
    logins = data["plans"][1]["entitlements"][2]
    logins["resetPeriod"] = period
    logins["resetPeriodConfiguration"] = {"accordingTo": according_to}

    assert parse_catalog(data).plans[1].entitlements[2].reset_period == period


def test_subscription_start_is_read_as_no_configuration() -> None:
    data = _catalog()
    data["plans"][1]["entitlements"][2]["resetPeriodConfiguration"]["accordingTo"] = (
        "SubscriptionStart"
    )

    assert parse_catalog(data).plans[1].entitlements[2].reset_according_to is None


def test_addon_entitlement_may_override_the_plans_limit() -> None:
    data = _catalog()
    data["addons"][0]["entitlements"][0]["behavior"] = "Override"

    assert parse_catalog(data).addons[0].entitlements[0].entitlement_behavior == "Override"


PRO = "plans[1].entitlements"
WEEKDAYS = "EveryMonday, EveryTuesday, EveryWednesday, EveryThursday, EveryFriday, "
CASES = {
    "soft limit on a BOOLEAN feature": (
        set_at("plans.1.entitlements.1.hasSoftLimit", True),
        f"{PRO}[1].hasSoftLimit: feature 'sso' is BOOLEAN; only NUMBER features have limits",
    ),
    "usage limit on an ENUM feature": (
        set_at("plans.1.entitlements.3.usageLimit", 3),
        f"{PRO}[3].usageLimit: feature 'region' is ENUM; only NUMBER features have limits",
    ),
    "unlimited on an ENUM feature": (
        set_at("plans.1.entitlements.3.unlimited", True),
        f"{PRO}[3].unlimited: feature 'region' is ENUM; only NUMBER features have limits",
    ),
    "soft limit on an unlimited entitlement": (
        set_at("plans.1.entitlements.0.hasSoftLimit", True),
        f"{PRO}[0].hasSoftLimit: cannot be true together with unlimited: true",
    ),
    "NUMBER feature without a limit": (
        set_at("plans.1.entitlements.2", {"feature": "logins"}),
        f"{PRO}[2]: needs a usageLimit or unlimited: true (feature 'logins' is NUMBER)",
    ),
    "feature granted twice": (
        lambda data: data["plans"][1]["entitlements"].append({"feature": "sso"}),
        f"{PRO}[4].feature: feature 'sso' is already in entitlements[1]",
    ),
    "feature with a PER_UNIT price in the same plan": (
        lambda data: data["plans"][1]["prices"].append(
            {
                "billingPeriod": "MONTHLY",
                "billingModel": "PER_UNIT",
                "feature": "seats",
                "amount": 2,
                "currency": "USD",
                "countryPrices": [{"country": "DK", "amount": 15, "currency": "DKK"}],
            }
        ),
        f"{PRO}[0].feature: feature 'seats' has a PER_UNIT price in this plan; "
        "its limit is the quantity bought",
    ),
    "reset period on a Fluctuating feature": (
        lambda data: data["plans"][0]["entitlements"].append(
            {"feature": "storage", "usageLimit": 5, "resetPeriod": "MONTH"}
        ),
        "plans[0].entitlements[1].resetPeriod: feature 'storage' is Fluctuating; "
        "only Incremental usage resets",
    ),
    "reset period on a BOOLEAN feature": (
        set_at("plans.1.entitlements.1.resetPeriod", "MONTH"),
        f"{PRO}[1].resetPeriod: feature 'sso' is BOOLEAN; only NUMBER features "
        "with Incremental usage reset",
    ),
    "reset period on an unlimited entitlement": (
        set_at(
            "plans.1.entitlements.2",
            {"feature": "logins", "unlimited": True, "resetPeriod": "DAY"},
        ),
        f"{PRO}[2].resetPeriod: needs a usageLimit",
    ),
    "reset configuration without a reset period": (
        _pop("plans.1.entitlements.2", "resetPeriod"),
        f"{PRO}[2].resetPeriodConfiguration: needs a resetPeriod",
    ),
    "reset configuration of a DAY reset period": (
        set_at("plans.1.entitlements.2.resetPeriod", "DAY"),
        f"{PRO}[2].resetPeriodConfiguration: only MONTH, WEEK and YEAR reset periods "
        "have a configuration",
    ),
    "reset configuration of an HOUR reset period": (
        set_at("plans.1.entitlements.2.resetPeriod", "HOUR"),
        f"{PRO}[2].resetPeriodConfiguration: only MONTH, WEEK and YEAR reset periods "
        "have a configuration",
    ),
    "weekday for a MONTH reset period": (
        set_at("plans.1.entitlements.2.resetPeriodConfiguration.accordingTo", "EveryMonday"),
        f"{PRO}[2].resetPeriodConfiguration.accordingTo: must be one of SubscriptionStart, "
        "StartOfTheMonth for a MONTH reset period",
    ),
    "start of the month for a WEEK reset period": (
        set_at("plans.1.entitlements.2.resetPeriod", "WEEK"),
        f"{PRO}[2].resetPeriodConfiguration.accordingTo: must be one of SubscriptionStart, "
        f"{WEEKDAYS}EverySaturday, EverySunday for a WEEK reset period",
    ),
    "start of the month for a YEAR reset period": (
        set_at("plans.1.entitlements.2.resetPeriod", "YEAR"),
        f"{PRO}[2].resetPeriodConfiguration.accordingTo: must be one of SubscriptionStart "
        "for a YEAR reset period",
    ),
    "reset configuration without accordingTo": (
        set_at("plans.1.entitlements.2.resetPeriodConfiguration", {}),
        f"{PRO}[2].resetPeriodConfiguration.accordingTo: is required",
    ),
    "ENUM feature without values": (
        set_at("plans.1.entitlements.3", {"feature": "region"}),
        f"{PRO}[3]: needs enumValues (feature 'region' is ENUM)",
    ),
    "ENUM feature with no values": (
        set_at("plans.1.entitlements.3.enumValues", []),
        f"{PRO}[3].enumValues: must list at least one value",
    ),
    "value the feature does not declare": (
        set_at("plans.1.entitlements.3.enumValues", ["eu", "apac"]),
        f"{PRO}[3].enumValues[1]: feature 'region' has no value 'apac'",
    ),
    "value listed twice": (
        set_at("plans.1.entitlements.3.enumValues", ["eu", "eu"]),
        f"{PRO}[3].enumValues[1]: 'eu' is listed twice",
    ),
    "values on a NUMBER feature": (
        set_at("plans.1.entitlements.2.enumValues", ["eu"]),
        f"{PRO}[2].enumValues: feature 'logins' is NUMBER; only ENUM features have enumValues",
    ),
    "behavior on a plan": (
        set_at("plans.1.entitlements.0.behavior", "Increment"),
        f"{PRO}[0].behavior: only addon entitlements have a behavior",
    ),
    "unknown behavior": (
        set_at("addons.0.entitlements.0.behavior", "Replace"),
        "addons[0].entitlements[0].behavior: must be one of Increment, Override",
    ),
    "addon taking a feature away": (
        set_at("addons.0.entitlements.0", {"feature": "seats", "isGranted": False}),
        "addons[0].entitlements[0].isGranted: only a plan can take a feature away",
    ),
    "plan without a base plan taking a feature away": (
        set_at("plans.1.entitlements.1.isGranted", False),
        f"{PRO}[1].isGranted: needs a basePlan: only an inherited feature can be taken away",
    ),
}


@pytest.mark.parametrize(("edit", "problem"), CASES.values(), ids=CASES.keys())
def test_entitlement_rule_violation_is_reported_at_its_path(
    edit: Callable[[dict[str, Any]], None], problem: str
) -> None:
    data = _catalog()
    edit(data)

    assert problems_of(data) == [problem]


def test_every_entitlement_problem_is_listed_in_file_order() -> None:
    data = _catalog()
    data["plans"][1]["entitlements"][3]["enumValues"] = ["apac"]
    data["plans"][1]["entitlements"][1]["hasSoftLimit"] = True
    data["plans"][0]["entitlements"][0]["behavior"] = "Override"

    assert problems_of(data) == [
        "plans[0].entitlements[0].behavior: only addon entitlements have a behavior",
        f"{PRO}[1].hasSoftLimit: feature 'sso' is BOOLEAN; only NUMBER features have limits",
        f"{PRO}[3].enumValues[0]: feature 'region' has no value 'apac'",
    ]
