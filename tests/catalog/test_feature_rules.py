from __future__ import annotations

from collections.abc import Callable
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
