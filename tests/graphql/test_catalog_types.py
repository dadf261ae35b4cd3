from __future__ import annotations

from app.graphql.catalog import EnumConfigurationEntity, Feature
from app.graphql.common import FeatureType
from app.models import Feature as FeatureRow


def _row(**fields: object) -> FeatureRow:
    return FeatureRow(environment_id="env", ref_id="f", display_name="F", **fields)


def test_enum_feature_shows_its_values_as_enum_configuration() -> None:
    row = _row(
        feature_type="ENUM",
        enum_values=[{"value": "eu", "displayName": "Europe"}],
    )

    feature = Feature.of(row)

    assert feature.feature_type is FeatureType.ENUM
    assert feature.enum_configuration == [
        EnumConfigurationEntity(value="eu", display_name="Europe")
    ]


def test_number_feature_has_no_enum_configuration() -> None:
    assert Feature.of(_row(feature_type="NUMBER")).enum_configuration is None
