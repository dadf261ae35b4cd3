"""Seed 003's examples, copied with only the import line changed (``seed_examples``),
run against a live ``billing-sync serve`` with the example catalog: async and sync."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from billing_sync_sdk import ApiError, BillingSync

from tests.sdk import seed_examples
from tests.sdk.conftest import PROVISION, LiveService

# The guide provisions plan-revvenu-basic with a per-unit billable feature and a billing
# period; in the example catalog basic is the free plan that many tests rely on, and
# per-unit quantities stay required (BILLABLE_FEATURE_REQUIRED). Fitting it is a rule
# decision in app/subscriptions, left open: this example must fail until it is made.
NOT_FITTED = {"provision_subscription": "BILLABLE_FEATURE_REQUIRED"}


pytestmark = pytest.mark.xdist_group("live")


@pytest.fixture(scope="session")
def world(live: LiveService) -> LiveService:
    """The customers the examples name, as a backend would have provisioned them."""
    for customer, resource in (("CUSTOMER-ID", "RESOURCE-ID"), ("customer-id", "resource-01")):
        subscription = {"planId": "plan-revvenu-basic", "resourceId": resource}
        live.graphql(
            PROVISION, {"input": {"customerId": customer, "subscriptionParams": subscription}}
        )
    return live


def _check(name: str, answer: Any) -> None:
    if name == "provision_customer":
        assert answer.provision_customer.customer.customer_id == "customer-demo-123"
        # Subscribed when created; the second client's run finds it provisioned already.
        subscription = answer.provision_customer.subscription
        assert subscription is None or subscription.plan.ref_id == "plan-revvenu-basic"
    elif name == "get_active_subscriptions_list":
        (found,) = answer.get_active_subscriptions
        assert found.resource_id == "RESOURCE-ID"
    elif name == "get_entitlement":
        assert answer.entitlement.feature.ref_id == "feature-01-templates"
        assert answer.entitlement.is_granted is False  # 10 asked, 3 granted
        assert answer.entitlement.requested_usage == 10
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
    if name in NOT_FITTED:
        with pytest.raises(ApiError) as refused:
            call()
        assert refused.value.code == NOT_FITTED[name]
        return
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
