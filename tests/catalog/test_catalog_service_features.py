"""Features as an apply stores them: an ENUM's values and a meter's normalised shape."""

from __future__ import annotations

from sqlmodel import Session

from app.catalog import repository
from app.catalog.meters import Meter
from app.models import Environment
from tests.catalog.factories import apply, small_catalog


def test_enum_feature_keeps_its_values_in_file_order(
    session: Session, environment: Environment
) -> None:
    data = small_catalog()
    values = [{"value": "us", "displayName": "United States"}, {"value": "eu", "displayName": "EU"}]
    data["features"].append(
        {"id": "region", "displayName": "Region", "featureType": "ENUM", "enumValues": values}
    )

    apply(session, environment, data)

    region = repository.feature_by_ref(session, environment.id, "region")
    seats = repository.feature_by_ref(session, environment.id, "seats")
    assert region is not None
    assert seats is not None
    assert (region.feature_type, region.meter_type, region.enum_values) == ("ENUM", "None", values)
    assert seats.enum_values is None


def test_metered_feature_stores_its_meter_in_the_documented_shape(
    session: Session, environment: Environment
) -> None:
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
                    {"conditions": [{"field": "region", "operation": "IN", "values": ["eu"]}]}
                ],
                "aggregation": {"function": "UNIQUE", "field": "user_id"},
            },
        }
    )

    apply(session, environment, data)

    feature = repository.feature_by_ref(session, environment.id, "active-users")
    assert feature is not None
    assert feature.meter == {
        "eventName": "user_login",
        "filters": [
            {
                "conditions": [
                    {"field": "region", "operation": "IN", "value": None, "values": ["eu"]}
                ]
            }
        ],
        "aggregation": {"function": "UNIQUE", "field": "user_id"},
    }
    assert Meter.from_stored(feature.meter).matches("user_login", {"region": "eu"})
