from __future__ import annotations

from decimal import Decimal

import pytest

from app.catalog.meters import (
    Aggregation,
    AggregationFunction,
    ConditionOperation,
    Dimension,
    Meter,
    MeterCondition,
)

Op = ConditionOperation
COUNT = Aggregation(AggregationFunction.COUNT)

# (operation, condition value or values, the event's dimension, whether it holds);
# None as the dimension means the event lacks it.
CONDITION_CASES: list[tuple[Op, str | tuple[str, ...] | None, Dimension, bool]] = [
    (Op.EQUALS, "pro", "pro", True),
    (Op.EQUALS, "pro", "Pro", False),
    (Op.EQUALS, "10", 10, True),
    (Op.EQUALS, "10", "10.0", True),
    (Op.EQUALS, "10", "010", True),
    (Op.EQUALS, "true", True, True),
    (Op.EQUALS, "1", True, False),
    (Op.EQUALS, "pro", None, False),
    (Op.NOT_EQUALS, "pro", "free", True),
    (Op.NOT_EQUALS, "pro", "pro", False),
    (Op.NOT_EQUALS, "1.50", Decimal("1.5"), False),
    (Op.NOT_EQUALS, "pro", None, False),
    (Op.GREATER_THAN, "9", "10", True),
    (Op.GREATER_THAN, "9", "9", False),
    (Op.GREATER_THAN, "b", "abc", False),
    (Op.GREATER_THAN, "b", "c", True),
    (Op.GREATER_THAN, "9", "x", True),
    (Op.GREATER_THAN, "0", None, False),
    (Op.GREATER_THAN_OR_EQUAL, "10", 10, True),
    (Op.GREATER_THAN_OR_EQUAL, "10", 9.5, False),
    (Op.GREATER_THAN_OR_EQUAL, "1e3", "1000", True),
    (Op.LESS_THAN, "10", 9, True),
    (Op.LESS_THAN, "10", "10", False),
    (Op.LESS_THAN, "-1", -2, True),
    (Op.LESS_THAN, "b", "a", True),
    (Op.LESS_THAN_OR_EQUAL, "10", 10, True),
    (Op.LESS_THAN_OR_EQUAL, "10", 10.5, False),
    (Op.LESS_THAN_OR_EQUAL, "10", None, False),
    (Op.CONTAINS, "eu", "eu-west-1", True),
    (Op.CONTAINS, "EU", "eu-west-1", False),
    (Op.CONTAINS, "23", 1234, True),
    (Op.CONTAINS, "eu", None, False),
    (Op.STARTS_WITH, "eu-", "eu-west-1", True),
    (Op.STARTS_WITH, "west", "eu-west-1", False),
    (Op.ENDS_WITH, "-1", "eu-west-1", True),
    (Op.ENDS_WITH, "eu", "eu-west-1", False),
    (Op.IN, ("eu", "us"), "us", True),
    (Op.IN, ("eu", "us"), "apac", False),
    (Op.IN, ("1", "2"), 2.0, True),
    (Op.IN, ("eu", "us"), None, False),
    (Op.IS_NULL, None, None, True),
    (Op.IS_NULL, None, "", False),
    (Op.IS_NULL, None, 0, False),
    (Op.IS_NOT_NULL, None, "x", True),
    (Op.IS_NOT_NULL, None, False, True),
    (Op.IS_NOT_NULL, None, None, False),
]


def _condition(operation: Op, argument: str | tuple[str, ...] | None) -> MeterCondition:
    if isinstance(argument, tuple):
        return MeterCondition("d", operation, values=argument)
    return MeterCondition("d", operation, value=argument)


@pytest.mark.parametrize(("operation", "argument", "dimension", "holds"), CONDITION_CASES)
def test_condition_compares_the_dimension_as_its_operation_says(
    operation: Op, argument: str | tuple[str, ...] | None, dimension: Dimension, holds: bool
) -> None:
    condition = _condition(operation, argument)
    dimensions = {} if dimension is None else {"d": dimension}

    assert condition.holds(dimensions) is holds


def test_every_operation_has_a_case() -> None:
    assert {case[0] for case in CONDITION_CASES} == set(Op)


def test_a_dimension_held_as_null_counts_as_missing() -> None:
    assert MeterCondition("d", Op.IS_NULL).holds({"d": None})
    assert not MeterCondition("d", Op.NOT_EQUALS, value="x").holds({"d": None})


PLAN_IS_PRO = MeterCondition("plan", Op.EQUALS, value="pro")
IN_EUROPE = MeterCondition("region", Op.IN, values=("eu",))
IS_ADMIN = MeterCondition("admin", Op.EQUALS, value="true")
# (plan = pro AND region IN [eu]) OR admin = true
GROUPED = Meter("login", COUNT, filters=((PLAN_IS_PRO, IN_EUROPE), (IS_ADMIN,)))

GROUP_CASES: list[tuple[dict[str, Dimension], bool]] = [
    ({"plan": "pro", "region": "eu"}, True),
    ({"plan": "pro", "region": "us"}, False),
    ({"plan": "free", "region": "eu"}, False),
    ({"plan": "pro"}, False),
    ({"plan": "free", "region": "us", "admin": True}, True),
    ({"admin": "true"}, True),
    ({"admin": False}, False),
    ({}, False),
]


@pytest.mark.parametrize(("dimensions", "matches"), GROUP_CASES)
def test_filters_or_and_their_conditions_and(
    dimensions: dict[str, Dimension], matches: bool
) -> None:
    assert GROUPED.matches("login", dimensions) is matches


def test_an_event_of_another_name_never_matches() -> None:
    assert not GROUPED.matches("logout", {"admin": True})


def test_a_meter_without_filters_matches_every_event_of_its_name() -> None:
    meter = Meter("login", COUNT)

    assert meter.matches("login", {})
    assert not meter.matches("Login", {})


STORED = {
    "eventName": "user_login",
    "filters": [
        {
            "conditions": [
                {"field": "plan", "operation": "EQUALS", "value": "pro", "values": None},
                {"field": "region", "operation": "IN", "value": None, "values": ["eu", "us"]},
            ]
        },
        {"conditions": [{"field": "sso", "operation": "IS_NULL", "value": None, "values": None}]},
    ],
    "aggregation": {"function": "UNIQUE", "field": "user_id"},
}


def test_stored_meter_reads_into_typed_parts() -> None:
    meter = Meter.from_stored(STORED)

    assert meter == Meter(
        "user_login",
        Aggregation(AggregationFunction.UNIQUE, "user_id"),
        filters=(
            (
                MeterCondition("plan", Op.EQUALS, value="pro"),
                MeterCondition("region", Op.IN, values=("eu", "us")),
            ),
            (MeterCondition("sso", Op.IS_NULL),),
        ),
    )


def test_stored_meter_round_trips() -> None:
    assert Meter.from_stored(STORED).to_stored() == STORED


def test_stored_meter_without_filters_has_an_empty_list() -> None:
    stored = Meter("login", COUNT).to_stored()

    assert stored == {
        "eventName": "login",
        "filters": [],
        "aggregation": {"function": "COUNT", "field": None},
    }
