from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlmodel import Session

from app.catalog import repository
from app.models import Environment, PackageEntitlement
from app.models.catalog import PackageKind
from tests.catalog.factories import apply, row_counts, small_catalog


def _catalog() -> dict[str, Any]:
    """The small catalog using every entitlement option, and team, a plan based on pro."""
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
    ]
    data["plans"][1]["entitlements"] += [
        {
            "feature": "logins",
            "usageLimit": 100,
            "hasSoftLimit": True,
            "resetPeriod": "WEEK",
            "resetPeriodConfiguration": {"accordingTo": "EveryMonday"},
        },
        {"feature": "region", "enumValues": ["us", "eu"]},
    ]
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
    data["addons"][0]["entitlements"][0]["behavior"] = "Override"
    return data


def _entitlements(
    session: Session, environment: Environment, kind: PackageKind, ref: str
) -> dict[str, PackageEntitlement]:
    package = repository.latest_package(session, environment.id, kind, ref)
    assert package is not None
    rows = repository.entitlements_of(session, package.id)
    features = repository.features_by_ids(session, environment.id, {e.feature_id for e in rows})
    return {features[row.feature_id].ref_id: row for row in rows}


def _options(row: PackageEntitlement) -> tuple[object, ...]:
    return (
        row.usage_limit,
        row.has_soft_limit,
        row.reset_period,
        row.reset_according_to,
        row.enum_values,
        row.behavior,
        row.is_granted,
    )


def test_entitlement_options_are_stored(session: Session, environment: Environment) -> None:
    apply(session, environment, _catalog())

    pro = _entitlements(session, environment, PackageKind.PLAN, "pro")

    assert _options(pro["logins"]) == (
        Decimal("100"),
        True,
        "WEEK",
        "EveryMonday",
        None,
        "Increment",
        True,
    )
    assert _options(pro["region"]) == (None, False, None, None, ["us", "eu"], "Increment", True)


def test_addon_entitlement_stores_its_behavior(session: Session, environment: Environment) -> None:
    apply(session, environment, _catalog())

    seats = _entitlements(session, environment, PackageKind.ADDON, "more-seats")["seats"]

    assert (seats.usage_limit, seats.behavior) == (Decimal("5"), "Override")


def test_plan_stores_its_base_plan_and_what_it_takes_away(
    session: Session, environment: Environment
) -> None:
    apply(session, environment, _catalog())

    team = repository.latest_package(session, environment.id, PackageKind.PLAN, "team")
    pro = repository.latest_package(session, environment.id, PackageKind.PLAN, "pro")
    assert team is not None
    assert pro is not None
    assert (team.base_plan_ref, pro.base_plan_ref) == ("pro", None)
    sso = _entitlements(session, environment, PackageKind.PLAN, "team")["sso"]
    assert (sso.is_granted, sso.usage_limit, sso.has_unlimited_usage) == (False, None, False)


def test_subscription_start_is_stored_as_no_configuration(
    session: Session, environment: Environment
) -> None:
    data = _catalog()
    data["plans"][1]["entitlements"][2]["resetPeriodConfiguration"] = {
        "accordingTo": "SubscriptionStart"
    }

    apply(session, environment, data)

    logins = _entitlements(session, environment, PackageKind.PLAN, "pro")["logins"]
    assert (logins.reset_period, logins.reset_according_to) == ("WEEK", None)


def test_reapplying_a_catalog_with_every_option_changes_nothing(
    session: Session, environment: Environment
) -> None:
    apply(session, environment, _catalog())
    counts = row_counts(session)

    report = apply(session, environment, _catalog())

    assert not report.changed, report.summary()
    assert row_counts(session) == counts


def _republished(session: Session, environment: Environment, data: dict[str, Any]) -> list[str]:
    return [
        f"{v.ref_id} v{v.version_number}" for v in apply(session, environment, data).new_versions
    ]


def test_a_new_base_plan_publishes_a_version_of_the_plan(
    session: Session, environment: Environment
) -> None:
    data = _catalog()
    apply(session, environment, data)
    data["plans"][2]["basePlan"] = "free"
    data["plans"][2]["entitlements"] = []

    assert _republished(session, environment, data) == ["team v2"]
    team = repository.latest_package(session, environment.id, PackageKind.PLAN, "team")
    assert team is not None
    assert team.base_plan_ref == "free"


def test_a_changed_entitlement_option_publishes_a_version(
    session: Session, environment: Environment
) -> None:
    data = _catalog()
    apply(session, environment, data)
    data["plans"][1]["entitlements"][2]["hasSoftLimit"] = False
    data["addons"][0]["entitlements"][0]["behavior"] = "Increment"

    assert _republished(session, environment, data) == ["pro v2", "more-seats v2"]


def test_a_changed_base_plan_leaves_the_plans_based_on_it_alone(
    session: Session, environment: Environment
) -> None:
    data = _catalog()
    apply(session, environment, data)
    data["plans"][1]["entitlements"][2]["usageLimit"] = 200

    assert _republished(session, environment, data) == ["pro v2"]
