"""Metered features for event tests: a small catalog, meters written on the feature rows."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, select

from app.catalog.schemas import parse_catalog
from app.catalog.service import apply_catalog
from app.customers.service import provision_customer
from app.models import Environment, Feature
from app.subscriptions import service as subscriptions
from tests.conftest import apply_recorded

USAGE_LIMIT = 1000


def _incremental(ref_id: str) -> dict[str, Any]:
    return {
        "id": ref_id,
        "displayName": ref_id,
        "featureType": "NUMBER",
        "meterType": "Incremental",
    }


def metered_catalog() -> dict[str, Any]:
    """``app`` (one subscription a customer) grants ``calls`` and ``tokens`` monthly;
    ``sites`` (one subscription per resource) grants ``page-views`` monthly."""
    monthly = {"usageLimit": USAGE_LIMIT, "resetPeriod": "MONTH"}
    return {
        "products": [
            {"id": "app", "displayName": "App"},
            {"id": "sites", "displayName": "Sites", "multipleSubscriptions": True},
        ],
        "features": [_incremental("calls"), _incremental("tokens"), _incremental("page-views")],
        "plans": [
            {
                "id": "metered",
                "product": "app",
                "displayName": "Metered",
                "pricingType": "FREE",
                "entitlements": [
                    {"feature": "calls", **monthly},
                    {"feature": "tokens", **monthly},
                ],
            },
            {
                "id": "site",
                "product": "sites",
                "displayName": "Site",
                "pricingType": "FREE",
                "entitlements": [{"feature": "page-views", **monthly}],
            },
        ],
    }


def condition(
    field: str, operation: str, value: str | None = None, values: list[str] | None = None
) -> dict[str, Any]:
    return {"field": field, "operation": operation, "value": value, "values": values}


def meter(
    event_name: str,
    function: str = "COUNT",
    field: str | None = None,
    filters: list[list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """A meter in the shape ``Feature.meter`` stores; ``filters`` are groups of conditions."""
    return {
        "eventName": event_name,
        "filters": [{"conditions": group} for group in filters or []],
        "aggregation": {"function": function, "field": field},
    }


def apply_metered_catalog(session: Session, environment: Environment) -> None:
    def run() -> None:
        apply_catalog(session, environment, parse_catalog(metered_catalog()))
        session.commit()

    apply_recorded(session, environment, json.dumps(metered_catalog(), sort_keys=True), run)


def set_meter(
    session: Session, environment: Environment, feature_ref: str, stored: dict[str, Any]
) -> None:
    feature = session.exec(
        select(Feature).where(
            Feature.environment_id == environment.id, Feature.ref_id == feature_ref
        )
    ).one()
    feature.meter = stored
    session.add(feature)
    session.commit()


def subscribed_customer(
    session: Session,
    environment: Environment,
    customer_ref: str = "c-1",
    plan: str = "metered",
    resource_ids: tuple[str, ...] = (),
) -> None:
    """A customer on ``plan``, once per resource when resources are given."""
    provision_customer(session, environment, {"customerId": customer_ref})
    for resource_id in resource_ids or (None,):
        fields: dict[str, Any] = {"customerId": customer_ref, "planId": plan}
        if resource_id is not None:
            fields["resourceId"] = resource_id
        subscriptions.provision_subscription(session, environment, fields)
    session.commit()
