"""Seed 003's examples, copied with only the import line changed (``seed_examples``),
run against a live ``billing-sync serve`` with the example catalog: async and sync."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from billing_sync_sdk import BillingSync

from tests.sdk import seed_examples
from tests.sdk.conftest import PROVISION, LiveService

pytestmark = pytest.mark.xdist_group("live")


@pytest.fixture(scope="session")
def world(live: LiveService) -> LiveService:
    """The customers the examples name, as a backend would have provisioned them."""
    for customer, resource in (("CUSTOMER-ID", "RESOURCE-ID"), ("customer-id", "resource-01")):
        subscription = {"planId": "plan-revvenu-free", "resourceId": resource}
        live.graphql(
            PROVISION, {"input": {"customerId": customer, "subscriptionParams": subscription}}
        )
    return live


def _check(name: str, answer: Any) -> None:
    if name == "provision_customer":
        assert answer.provision_customer.customer.customer_id == "customer-demo-123"
        # Subscribed when created, to the free plan the product's journey starts every new
        # customer on; the second client's run finds it provisioned already.
        subscription = answer.provision_customer.subscription
        assert subscription is None or subscription.plan.ref_id == "plan-revvenu-free"
    elif name == "provision_subscription":
        provisioned = answer.provision_subscription
        assert provisioned.status == "SUCCESS"
        subscription = provisioned.subscription
        assert (subscription.plan.ref_id, subscription.status) == ("plan-revvenu-basic", "ACTIVE")
        assert subscription.resource_id == "resource-01"
        assert [(a.addon.ref_id, a.quantity) for a in subscription.addons] == [
            ("addon-extra-stuff", 2)
        ]
        (templates,) = [p for p in subscription.prices if p.feature_id == "feature-01-templates"]
        assert templates.usage_limit == 2
        # In Danish kroner: 2 templates at 15 and 2 packs at 55, then 10% off the coupon.
        total = subscription.total_price
        assert (total.sub_total.amount, total.sub_total.currency) == (140, "DKK")
        assert (total.total.amount, total.total.currency) == (126, "DKK")
        assert subscription.additional_meta_data == {"key": "value"}
    elif name == "get_active_subscriptions_list":
        (found,) = answer.get_active_subscriptions
        assert found.resource_id == "RESOURCE-ID"
    elif name == "get_entitlement":
        assert answer.entitlement.feature.ref_id == "feature-01-templates"
        # 10 asked: the free plan's 3 templates refuse it; after the provision_subscription
        # example, basic's 2 templates and 2 packs of 5 grant it.
        entitlement = answer.entitlement
        assert entitlement.requested_usage == 10
        assert entitlement.usage_limit in (3, 12)
        assert entitlement.is_granted is (entitlement.usage_limit == 12)
    elif name == "get_entitlements":
        assert "feature-02-campaigns" in {e.feature.ref_id for e in answer.entitlements}
    elif name in ("report_usage", "report_usage_set"):
        # From zero (_run): DELTA 5 and SET 5 both leave 5.
        assert answer.report_usage.feature_id == "feature-02-campaigns"
        assert answer.report_usage.current_usage == 5
    elif name == "report_event":
        assert answer.report_event is None


# Another client's reset of the usage the report examples change, so each starts at zero
# whichever examples ran before it on this service.
RESET = """
mutation($input: ReportUsageInput!) { reportUsage(input: $input) { currentUsage } }"""


def _run(name: str, call: Any, live: LiveService) -> None:
    if name.startswith("report_usage"):
        reset = {
            "customerId": "customer-id",
            "featureId": "feature-02-campaigns",
            "resourceId": "resource-01",
            "value": 0,
            "updateBehavior": "SET",
        }
        live.graphql(RESET, {"input": reset})
    _check(name, call())


@pytest.mark.parametrize("name", list(seed_examples.EXAMPLES))
def test_the_guides_example_runs_on_the_async_client(world: LiveService, name: str) -> None:
    async def main() -> Any:
        client = BillingSync.create_async_client(api_key=world.key, api_url=world.url)
        async with client:
            return await seed_examples.EXAMPLES[name](client)

    _run(name, lambda: asyncio.run(main()), world)


@pytest.mark.parametrize("name", list(seed_examples.SYNC))
def test_the_guides_example_runs_on_the_sync_client(world: LiveService, name: str) -> None:
    with BillingSync.create_client(api_key=world.key, api_url=world.url) as client:
        _run(name, lambda: seed_examples.SYNC[name](client), world)
