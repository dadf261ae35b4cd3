"""A metered feature's meter: which raw events count, and how their values add up.

The catalog stores a meter on its feature (``Feature.meter``) in one JSON shape, every
key always present:

    {"eventName": "user_login",
     "filters": [{"conditions": [{"field": "plan", "operation": "EQUALS",
                                  "value": "pro", "values": null}]}],
     "aggregation": {"function": "UNIQUE", "field": "user_id"}}

An event counts when its name is ``eventName`` and, when there are filters, every
condition of at least one filter holds: filters OR, conditions within a filter AND.

Dimensions are strings, numbers or booleans; a condition's values are strings. Both
sides are compared as numbers when both read as decimal numbers (``"10"`` and ``9.5``),
else as text, booleans reading as ``true`` / ``false``. CONTAINS, STARTS_WITH and
ENDS_WITH always compare text, case-sensitively. A dimension the event lacks, or holds
as null, satisfies IS_NULL and nothing else: NOT_EQUALS does not hold for it either,
as with SQL's NULL, so the same filter can run in the database.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

Dimension = str | int | float | Decimal | bool | None

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


class ConditionOperation(StrEnum):
    EQUALS = "EQUALS"
    NOT_EQUALS = "NOT_EQUALS"
    GREATER_THAN = "GREATER_THAN"
    GREATER_THAN_OR_EQUAL = "GREATER_THAN_OR_EQUAL"
    LESS_THAN = "LESS_THAN"
    LESS_THAN_OR_EQUAL = "LESS_THAN_OR_EQUAL"
    CONTAINS = "CONTAINS"
    STARTS_WITH = "STARTS_WITH"
    ENDS_WITH = "ENDS_WITH"
    IN = "IN"
    IS_NULL = "IS_NULL"
    IS_NOT_NULL = "IS_NOT_NULL"


# Operations that take no value, and the one that takes a list of them.
NULL_CHECKS = frozenset({ConditionOperation.IS_NULL, ConditionOperation.IS_NOT_NULL})
LIST_OPERATIONS = frozenset({ConditionOperation.IN})


class AggregationFunction(StrEnum):
    COUNT = "COUNT"
    SUM = "SUM"
    AVG = "AVG"
    MIN = "MIN"
    MAX = "MAX"
    UNIQUE = "UNIQUE"


_ORDERINGS: dict[ConditionOperation, Callable[[Any, Any], bool]] = {
    ConditionOperation.EQUALS: operator.eq,
    ConditionOperation.NOT_EQUALS: operator.ne,
    ConditionOperation.GREATER_THAN: operator.gt,
    ConditionOperation.GREATER_THAN_OR_EQUAL: operator.ge,
    ConditionOperation.LESS_THAN: operator.lt,
    ConditionOperation.LESS_THAN_OR_EQUAL: operator.le,
}
_TEXT_TESTS: dict[ConditionOperation, Callable[[str, str], bool]] = {
    ConditionOperation.CONTAINS: operator.contains,
    ConditionOperation.STARTS_WITH: str.startswith,
    ConditionOperation.ENDS_WITH: str.endswith,
}


def _text(value: str | int | float | Decimal | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(text: str) -> Decimal | None:
    return Decimal(text) if _NUMBER.fullmatch(text) else None


def _compare(test: Callable[[Any, Any], bool], dimension: str, value: str) -> bool:
    left, right = _number(dimension), _number(value)
    if left is not None and right is not None:
        return test(left, right)
    return test(dimension, value)


@dataclass(frozen=True, slots=True)
class MeterCondition:
    field: str
    operation: ConditionOperation
    value: str | None = None
    values: tuple[str, ...] | None = None

    def holds(self, dimensions: Mapping[str, Dimension]) -> bool:
        found = dimensions.get(self.field)
        if self.operation is ConditionOperation.IS_NULL:
            return found is None
        if found is None:
            return False
        if self.operation is ConditionOperation.IS_NOT_NULL:
            return True
        text = _text(found)
        if self.operation is ConditionOperation.IN:
            return any(_compare(operator.eq, text, value) for value in self.values or ())
        value = self.value or ""
        if self.operation in _TEXT_TESTS:
            return _TEXT_TESTS[self.operation](text, value)
        return _compare(_ORDERINGS[self.operation], text, value)


@dataclass(frozen=True, slots=True)
class Aggregation:
    function: AggregationFunction
    # The dimension aggregated; None for COUNT, which counts the events.
    field: str | None = None


@dataclass(frozen=True, slots=True)
class Meter:
    event_name: str
    aggregation: Aggregation
    # Each filter is its conditions; an event must satisfy every condition of one filter.
    filters: tuple[tuple[MeterCondition, ...], ...] = ()

    def matches(self, event_name: str, dimensions: Mapping[str, Dimension]) -> bool:
        """Whether an event of ``event_name`` with ``dimensions`` counts for this meter."""
        if event_name != self.event_name:
            return False
        if not self.filters:
            return True
        return any(all(c.holds(dimensions) for c in conditions) for conditions in self.filters)

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any]) -> Meter:
        """The meter of a feature's ``meter`` column."""
        aggregation = stored["aggregation"]
        return cls(
            event_name=stored["eventName"],
            aggregation=Aggregation(
                AggregationFunction(aggregation["function"]), aggregation.get("field")
            ),
            filters=tuple(
                tuple(
                    MeterCondition(
                        field=condition["field"],
                        operation=ConditionOperation(condition["operation"]),
                        value=condition.get("value"),
                        values=(
                            None if condition.get("values") is None else tuple(condition["values"])
                        ),
                    )
                    for condition in group["conditions"]
                )
                for group in stored.get("filters") or ()
            ),
        )

    def to_stored(self) -> dict[str, Any]:
        """The JSON the ``meter`` column holds."""
        return {
            "eventName": self.event_name,
            "filters": [
                {
                    "conditions": [
                        {
                            "field": c.field,
                            "operation": c.operation.value,
                            "value": c.value,
                            "values": None if c.values is None else list(c.values),
                        }
                        for c in conditions
                    ]
                }
                for conditions in self.filters
            ],
            "aggregation": {
                "function": self.aggregation.function.value,
                "field": self.aggregation.field,
            },
        }
