"""A metered feature's meter: which raw events count, and how their values add up.

A feature stores its meter (``Feature.meter``) as

    {"eventName": "user_login",
     "filters": [{"conditions": [{"field": "plan", "operation": "EQUALS",
                                  "value": "pro", "values": null}]}],
     "aggregation": {"function": "UNIQUE", "field": "user_id"}}

An event counts when its name is ``eventName`` and, when there are filters, every
condition of at least one filter holds: filters OR, conditions within a filter AND.
Both sides of a comparison are compared as numbers when both read as numbers, else as
text (booleans read ``true`` / ``false``). A dimension that is missing or null satisfies
IS_NULL and nothing else.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

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


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _compare(test: Callable[[Any, Any], bool], dimension: str, value: str) -> bool:
    if _NUMBER.fullmatch(dimension) and _NUMBER.fullmatch(value):
        return test(Decimal(dimension), Decimal(value))
    return test(dimension, value)


@dataclass(frozen=True, slots=True)
class MeterCondition:
    field: str
    operation: ConditionOperation
    value: str | None = None
    values: tuple[str, ...] | None = None

    def holds(self, dimensions: Mapping[str, object]) -> bool:
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

    def matches(self, event_name: str, dimensions: Mapping[str, object]) -> bool:
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
