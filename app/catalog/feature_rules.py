"""Catalog rules of one feature: its type, meter type and the values an ENUM offers.

Only NUMBER features count usage, so BOOLEAN and ENUM features have meterType None.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.catalog.documents import Location, Problem
from app.models.catalog import FeatureType, MeterType

if TYPE_CHECKING:
    from app.catalog.schemas import FeatureSpec


def check_feature(at: Location, feature: FeatureSpec) -> list[Problem]:
    problems: list[Problem] = []
    if feature.feature_type is not FeatureType.NUMBER and feature.meter_type is not MeterType.NONE:
        article = "an" if feature.feature_type is FeatureType.ENUM else "a"
        problems.append(
            ((*at, "meterType"), f"must be None for {article} {feature.feature_type} feature")
        )
    problems += _enum_values(at, feature)
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
