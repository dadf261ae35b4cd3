"""Catalog rules of one feature: its type, meter type, ENUM values and meter.

Only NUMBER features count usage, so BOOLEAN and ENUM features have meterType None. A
meter counts raw events, and events only ever add to the usage of a period, so a
metered feature must be Incremental: a Fluctuating count (seats) goes down as well,
which no event can say.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.catalog.documents import Location, Problem
from app.catalog.meters import LIST_OPERATIONS, NULL_CHECKS, AggregationFunction
from app.models.catalog import FeatureType, MeterType

if TYPE_CHECKING:
    from app.catalog.meter_specs import AggregationSpec, MeterConditionSpec
    from app.catalog.schemas import FeatureSpec


def check_feature(at: Location, feature: FeatureSpec) -> list[Problem]:
    problems: list[Problem] = []
    if feature.feature_type is not FeatureType.NUMBER and feature.meter_type is not MeterType.NONE:
        article = "an" if feature.feature_type is FeatureType.ENUM else "a"
        problems.append(
            ((*at, "meterType"), f"must be None for {article} {feature.feature_type} feature")
        )
    problems += _enum_values(at, feature)
    problems += _meter(at, feature)
    return problems


def _enum_values(at: Location, feature: FeatureSpec) -> list[Problem]:
    here = (*at, "enumValues")
    if feature.feature_type is not FeatureType.ENUM:
        if feature.enum_values is not None:
            return [(here, "only ENUM features have enumValues")]
        return []
    if feature.enum_values is None:
        return [(here, "is required for an ENUM feature")]
    if not feature.enum_values:
        return [(here, "must list at least one value")]
    first: dict[str, int] = {}
    problems: list[Problem] = []
    for index, entry in enumerate(feature.enum_values):
        seen = first.setdefault(entry.value, index)
        if seen != index:
            message = f"duplicate value {entry.value!r} (also enumValues[{seen}])"
            problems.append(((*here, index, "value"), message))
    return problems


def _meter(at: Location, feature: FeatureSpec) -> list[Problem]:
    meter = feature.meter
    if meter is None:
        return []
    here = (*at, "meter")
    problems: list[Problem] = []
    if feature.feature_type is not FeatureType.NUMBER:
        problems.append((here, "only NUMBER features have a meter"))
    elif feature.meter_type is not MeterType.INCREMENTAL:
        problems.append(
            (
                here,
                f"needs meterType Incremental, not {feature.meter_type}: "
                "usage counted from events only adds up",
            )
        )
    for index, group in enumerate(meter.filters):
        there = (*here, "filters", index, "conditions")
        if not group.conditions:
            problems.append((there, "must list at least one condition"))
        for position, condition in enumerate(group.conditions):
            problems += _condition((*there, position), condition)
    problems += _aggregation((*here, "aggregation"), meter.aggregation)
    return problems


def _condition(here: Location, condition: MeterConditionSpec) -> list[Problem]:
    operation = condition.operation
    if operation in NULL_CHECKS:
        return [
            ((*here, field), f"{operation} takes no {field}")
            for field, given in (("value", condition.value), ("values", condition.values))
            if given is not None
        ]
    if operation in LIST_OPERATIONS:
        problems: list[Problem] = []
        if condition.value is not None:
            problems.append(((*here, "value"), f"{operation} takes values, not value"))
        if condition.values is None:
            problems.append(((*here, "values"), f"is required for {operation}"))
        elif not condition.values:
            problems.append(((*here, "values"), "must list at least one value"))
        return problems
    problems = []
    if condition.value is None:
        problems.append(((*here, "value"), f"is required for {operation}"))
    if condition.values is not None:
        problems.append(((*here, "values"), f"only IN takes values, not {operation}"))
    return problems


def _aggregation(here: Location, aggregation: AggregationSpec) -> list[Problem]:
    function = aggregation.function
    if function is AggregationFunction.COUNT and aggregation.field is not None:
        return [((*here, "field"), "COUNT counts events and takes no field")]
    if function is not AggregationFunction.COUNT and aggregation.field is None:
        return [((*here, "field"), f"is required for {function}")]
    return []
