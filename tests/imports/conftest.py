"""Bulk import tests: the service over HTTP with its in-process worker, and a catalog
with the plan, features and addons that the platform's example files name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dramatiq.brokers.stub import StubBroker
from sqlmodel import Session

from app.models import Environment
from tests.conftest import GraphQL
from tests.subscriptions.factories import apply

FILES = Path(__file__).parent / "files"

START = """mutation($input: ImportCustomerBulkInput!) { importCustomersBulk(input: $input) }"""
START_SUBSCRIPTIONS = """mutation($input: ImportSubscriptionsBulkInput!) {
  importSubscriptionsBulk(input: $input) }"""
START_USAGE = """mutation($input: ImportUsageBulkInput!) { importUsageBulk(input: $input) }"""
PROGRESS = """query($id: String!) { bulkImport(importId: $id) {
  status totalRows processedRows created updated unchanged skipped failed
  rows { index outcome reason } } }"""


def import_catalog() -> dict[str, Any]:
    def per_unit(feature: str) -> dict[str, Any]:
        return {
            "billingPeriod": "MONTHLY",
            "billingModel": "PER_UNIT",
            "feature": feature,
            "amount": "2",
            "currency": "USD",
        }

    flat = {"billingPeriod": "MONTHLY", "billingModel": "FLAT_FEE", "currency": "USD"}
    return {
        "products": [
            {"id": "product-1", "displayName": "Sites", "multipleSubscriptions": True},
            {"id": "product-2", "displayName": "App"},
        ],
        "features": [
            {
                "id": "feature-seats",
                "displayName": "Seats",
                "featureType": "NUMBER",
                "meterType": "Fluctuating",
            },
            {
                "id": "feature-projects",
                "displayName": "Projects",
                "featureType": "NUMBER",
                "meterType": "Fluctuating",
            },
            {
                "id": "feature-api-calls",
                "displayName": "API calls",
                "featureType": "NUMBER",
                "meterType": "Incremental",
            },
        ],
        "plans": [
            {
                "id": "plan-1",
                "product": "product-1",
                "displayName": "Plan 1",
                "pricingType": "PAID",
                "prices": [per_unit("feature-seats"), per_unit("feature-projects")],
                "compatibleAddons": ["addon-1", "addon-2"],
            },
            {
                "id": "plan-free",
                "product": "product-2",
                "displayName": "Free",
                "pricingType": "FREE",
                "entitlements": [
                    {"feature": "feature-api-calls", "usageLimit": 1000, "resetPeriod": "MONTH"}
                ],
            },
            {
                "id": "plan-basic",
                "product": "product-2",
                "displayName": "Basic",
                "pricingType": "PAID",
                "prices": [{**flat, "amount": "10"}],
            },
        ],
        "addons": [
            {
                "id": f"addon-{n}",
                "product": "product-1",
                "displayName": f"Addon {n}",
                "prices": [{**flat, "amount": "1"}],
                "maxQuantity": 10,
            }
            for n in (1, 2)
        ],
    }


@pytest.fixture
def import_api(gql: GraphQL, session: Session, environment: Environment) -> GraphQL:
    apply(session, environment, import_catalog())
    return gql


def jobs_done(api: GraphQL) -> None:
    broker = api.client.app.state.broker
    assert isinstance(broker, StubBroker)
    for queue in broker.get_declared_queues():
        broker.join(queue, timeout=20_000)


def run_import(
    api: GraphQL, kind: str, rows: list[dict[str, Any]], *, skip_invalid: bool = False
) -> dict[str, Any]:
    """Start an import, wait for the workers, and return its summary."""
    document, key = {
        "customers": (START, "customers"),
        "subscriptions": (START_SUBSCRIPTIONS, "subscriptions"),
        "usages": (START_USAGE, "usages"),
    }[kind]
    variables: dict[str, Any] = {key: rows}
    if skip_invalid:
        variables["skipInvalid"] = True
    data = api(document, {"input": variables})
    import_id = next(iter(data.values()))
    jobs_done(api)
    summary: dict[str, Any] = api(PROGRESS, {"id": import_id})["bulkImport"]
    assert summary["status"] == "COMPLETED", summary
    return summary
