"""A feature's meter as the catalog file writes it.

The file's shape only; which operations take which operands is checked with the other
feature rules (``app.catalog.feature_rules``), and ``to_meter`` gives the meter that is
stored and matched against events (``app.catalog.meters``).
"""

from __future__ import annotations

from app.catalog.fields import DimensionValue, Name, Spec
from app.catalog.meters import (
    Aggregation,
    AggregationFunction,
    ConditionOperation,
    Meter,
    MeterCondition,
)


class MeterConditionSpec(Spec):
    field: Name
    operation: ConditionOperation
    value: DimensionValue | None = None
    values: list[DimensionValue] | None = None


class MeterFilterSpec(Spec):
    conditions: list[MeterConditionSpec]


class AggregationSpec(Spec):
    function: AggregationFunction
    field: Name | None = None


class MeterSpec(Spec):
    """Which raw events a feature counts, and how (see ``app.catalog.meters``)."""

    event_name: Name
    filters: list[MeterFilterSpec] = []
    aggregation: AggregationSpec

    def to_meter(self) -> Meter:
        return Meter(
            event_name=self.event_name,
            aggregation=Aggregation(self.aggregation.function, self.aggregation.field),
            filters=tuple(
                tuple(
                    MeterCondition(
                        field=c.field,
                        operation=c.operation,
                        value=c.value,
                        values=None if c.values is None else tuple(c.values),
                    )
                    for c in group.conditions
                )
                for group in self.filters
            ),
        )
