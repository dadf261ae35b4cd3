from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from app.catalog.schemas import parse_catalog
from tests.catalog.factories import problems_of, set_at, small_catalog


def _catalog() -> dict[str, Any]:
    """The small catalog with an ENUM feature, ``features[2]``."""
    data = small_catalog()
    data["features"].append(
        {
            "id": "region",
            "displayName": "Region",
            "featureType": "ENUM",
            "enumValues": [
                {"value": "eu", "displayName": "Europe"},
                {"value": "us", "displayName": "United States"},
            ],
        }
    )
    return data


def test_enum_feature_with_values_is_valid() -> None:
    [*_, region] = parse_catalog(_catalog()).features

    assert [(v.value, v.display_name) for v in region.enum_values or []] == [
        ("eu", "Europe"),
        ("us", "United States"),
    ]


ENUM_CASES = {
    "enum feature without values": (
        set_at("features.2.enumValues", None),
        "features[2].enumValues: is required for an ENUM feature",
    ),
    "enum feature with an empty list of values": (
        set_at("features.2.enumValues", []),
        "features[2].enumValues: must list at least one value",
    ),
    "enum value listed twice": (
        set_at("features.2.enumValues.1.value", "eu"),
        "features[2].enumValues[1].value: duplicate value 'eu' (also enumValues[0])",
    ),
    "enum value without a display name": (
        set_at("features.2.enumValues.0", {"value": "eu"}),
        "features[2].enumValues[0].displayName: is required",
    ),
    "empty enum value": (
        set_at("features.2.enumValues.0.value", ""),
        "features[2].enumValues[0].value: must not be empty",
    ),
    "values on a NUMBER feature": (
        set_at("features.0.enumValues", [{"value": "a", "displayName": "A"}]),
        "features[0].enumValues: only ENUM features have enumValues",
    ),
    "values on a BOOLEAN feature": (
        set_at("features.1.enumValues", [{"value": "a", "displayName": "A"}]),
        "features[1].enumValues: only ENUM features have enumValues",
    ),
    "enum feature with a meter type": (
        set_at("features.2.meterType", "Incremental"),
        "features[2].meterType: must be None for an ENUM feature",
    ),
}


@pytest.mark.parametrize(("edit", "problem"), ENUM_CASES.values(), ids=ENUM_CASES.keys())
def test_enum_rule_violation_is_reported_at_its_path(
    edit: Callable[[dict[str, Any]], None], problem: str
) -> None:
    data = _catalog()
    edit(data)

    assert problems_of(data) == [problem]


def test_enum_values_are_not_stopped_at_the_first_duplicate() -> None:
    data = _catalog()
    data["features"][2]["enumValues"] += [
        {"value": "eu", "displayName": "Again"},
        {"value": "us", "displayName": "Again"},
    ]

    assert problems_of(data) == [
        "features[2].enumValues[2].value: duplicate value 'eu' (also enumValues[0])",
        "features[2].enumValues[3].value: duplicate value 'us' (also enumValues[1])",
    ]


def _metered() -> dict[str, Any]:
    """The small catalog with a feature counted from events, ``features[2]``."""
    data = small_catalog()
    data["features"].append(
        {
            "id": "active-users",
            "displayName": "Active users",
            "featureType": "NUMBER",
            "meterType": "Incremental",
            "meter": {
                "eventName": "user_login",
                "filters": [
                    {
                        "conditions": [
                            {"field": "plan", "operation": "EQUALS", "value": "pro"},
                            {"field": "region", "operation": "IN", "values": ["eu", "us"]},
                        ]
                    }
                ],
                "aggregation": {"function": "UNIQUE", "field": "user_id"},
            },
        }
    )
    return data


def test_metered_feature_is_valid() -> None:
    meter = parse_catalog(_metered()).features[2].meter

    assert meter is not None
    assert meter.event_name == "user_login"
    assert [c.operation for c in meter.filters[0].conditions] == ["EQUALS", "IN"]


def test_meter_values_written_as_numbers_or_booleans_are_kept_as_text() -> None:
    data = _metered()
    data["features"][2]["meter"]["filters"][0]["conditions"] = [
        {"field": "seats", "operation": "GREATER_THAN", "value": Decimal("2.50")},
        {"field": "tier", "operation": "IN", "values": [1, 2]},
        {"field": "admin", "operation": "EQUALS", "value": True},
    ]

    meter = parse_catalog(data).features[2].meter

    assert meter is not None
    conditions = meter.filters[0].conditions
    assert [(c.value, c.values) for c in conditions] == [
        ("2.50", None),
        (None, ["1", "2"]),
        ("true", None),
    ]


CONDITION = "features.2.meter.filters.0.conditions.0"
AT = "features[2].meter.filters[0].conditions[0]"

METER_CASES = {
    "meter on a Fluctuating feature": (
        set_at("features.2.meterType", "Fluctuating"),
        "features[2].meter: needs meterType Incremental, not Fluctuating: "
        "usage counted from events only adds up",
    ),
    "meter on a feature without a meter type": (
        set_at("features.2.meterType", "None"),
        "features[2].meter: needs meterType Incremental, not None: "
        "usage counted from events only adds up",
    ),
    "meter on a BOOLEAN feature": (
        lambda data: data["features"][1].update(meter=data["features"][2]["meter"]),
        "features[1].meter: only NUMBER features have a meter",
    ),
    "meter without an event name": (
        lambda data: data["features"][2]["meter"].pop("eventName"),
        "features[2].meter.eventName: is required",
    ),
    "meter without an aggregation": (
        lambda data: data["features"][2]["meter"].pop("aggregation"),
        "features[2].meter.aggregation: is required",
    ),
    "unknown aggregation function": (
        set_at("features.2.meter.aggregation.function", "MEDIAN"),
        "features[2].meter.aggregation.function: must be one of COUNT, SUM, AVG, MIN, MAX, UNIQUE",
    ),
    "count with a field": (
        set_at("features.2.meter.aggregation", {"function": "COUNT", "field": "user_id"}),
        "features[2].meter.aggregation.field: COUNT counts events and takes no field",
    ),
    "sum without a field": (
        set_at("features.2.meter.aggregation", {"function": "SUM"}),
        "features[2].meter.aggregation.field: is required for SUM",
    ),
    "filter without conditions": (
        set_at("features.2.meter.filters.0.conditions", []),
        "features[2].meter.filters[0].conditions: must list at least one condition",
    ),
    "unknown operation": (
        set_at(f"{CONDITION}.operation", "LIKE"),
        f"{AT}.operation: must be one of EQUALS, NOT_EQUALS, GREATER_THAN, "
        "GREATER_THAN_OR_EQUAL, LESS_THAN, LESS_THAN_OR_EQUAL, CONTAINS, STARTS_WITH, "
        "ENDS_WITH, IN, IS_NULL, IS_NOT_NULL",
    ),
    "empty field name": (
        set_at(f"{CONDITION}.field", ""),
        f"{AT}.field: must not be empty",
    ),
    "field name of 256 characters": (
        set_at(f"{CONDITION}.field", "d" * 256),
        f"{AT}.field: must be at most 255 characters",
    ),
    "value that is a date": (
        set_at(f"{CONDITION}.value", date(2026, 1, 1)),
        f"{AT}.value: must be a string",
    ),
    "equals without a value": (
        set_at(CONDITION, {"field": "plan", "operation": "EQUALS"}),
        f"{AT}.value: is required for EQUALS",
    ),
    "starts with given values": (
        set_at(CONDITION, {"field": "plan", "operation": "STARTS_WITH", "values": ["p"]}),
        # A missing key is listed after the keys the condition has.
        f"{AT}.values: only IN takes values, not STARTS_WITH",
        f"{AT}.value: is required for STARTS_WITH",
    ),
    "greater than with a value and values": (
        set_at(
            CONDITION,
            {"field": "n", "operation": "GREATER_THAN", "value": "1", "values": ["2"]},
        ),
        f"{AT}.values: only IN takes values, not GREATER_THAN",
    ),
    "in without values": (
        set_at(CONDITION, {"field": "plan", "operation": "IN"}),
        f"{AT}.values: is required for IN",
    ),
    "in with an empty list": (
        set_at(CONDITION, {"field": "plan", "operation": "IN", "values": []}),
        f"{AT}.values: must list at least one value",
    ),
    "in with a value": (
        set_at(CONDITION, {"field": "plan", "operation": "IN", "value": "pro", "values": ["a"]}),
        f"{AT}.value: IN takes values, not value",
    ),
    "is null with a value": (
        set_at(CONDITION, {"field": "plan", "operation": "IS_NULL", "value": "x"}),
        f"{AT}.value: IS_NULL takes no value",
    ),
    "is not null with values": (
        set_at(CONDITION, {"field": "plan", "operation": "IS_NOT_NULL", "values": ["x"]}),
        f"{AT}.values: IS_NOT_NULL takes no values",
    ),
    "unknown key in a condition": (
        set_at(f"{CONDITION}.operator", "EQUALS"),
        f"{AT}.operator: unknown field",
    ),
}


@pytest.mark.parametrize(
    ("edit", "problems"),
    [(case[0], list(case[1:])) for case in METER_CASES.values()],
    ids=METER_CASES.keys(),
)
def test_meter_rule_violation_is_reported_at_its_path(
    edit: Callable[[dict[str, Any]], None], problems: list[str]
) -> None:
    data = _metered()
    edit(data)

    assert problems_of(data) == problems


def test_every_broken_condition_of_a_meter_is_reported() -> None:
    data = _metered()
    data["features"][2]["meter"]["filters"].append(
        {"conditions": [{"field": "a", "operation": "IS_NULL", "value": "x"}]}
    )
    data["features"][2]["meter"]["filters"][0]["conditions"][1].pop("values")

    assert problems_of(data) == [
        "features[2].meter.filters[0].conditions[1].values: is required for IN",
        "features[2].meter.filters[1].conditions[0].value: IS_NULL takes no value",
    ]
