"""The SDK's entitlement cache against a live service: answered locally, kept fresh by
the push channel (a change by another client within 1 s), by its TTL without it, and a
flagged fallback when the service cannot be reached."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from billing_sync_sdk import (
    AsyncBillingSyncClient,
    BillingSync,
    FetchEntitlementQuery,
    ReportUsageInput,
)
from billing_sync_sdk._generated.client import GeneratedClient

from tests.billing.stack import free_port
from tests.sdk.conftest import Clock, LiveService, eventually, new_customer

pytestmark = pytest.mark.xdist_group("live")

REPORT = """
mutation($input: ReportUsageInput!) { reportUsage(input: $input) { currentUsage } }
"""
GRANT = """
mutation($input: GrantPromotionalEntitlementsInput!) {
  grantPromotionalEntitlements(input: $input) { featureId }
}"""
PROVISION_SUBSCRIPTION = """
mutation($input: ProvisionSubscriptionInput!) { provisionSubscriptionV2(input: $input) { status } }
"""


def _query(customer: str, feature: str = "feature-01-templates") -> FetchEntitlementQuery:
    return FetchEntitlementQuery(**{"customerId": customer, "featureId": feature})


def _counting(client: AsyncBillingSyncClient) -> list[httpx.Request]:
    sent: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        sent.append(request)

    client.http_client.event_hooks["request"].append(record)  # type: ignore[attr-defined]
    return sent


def _usage(client: AsyncBillingSyncClient, customer: str, feature: str) -> Any:
    found = client.cached_entitlement(_query(customer, feature))
    return found.entitlement.current_usage if found is not None else None


async def _pushed(client: AsyncBillingSyncClient, customer: str) -> None:
    """Load the customer and wait for its subscription's first message."""
    await client.get_entitlement(_query(customer))
    assert client.push is not None
    await asyncio.wait_for(client.push.connected.wait(), 10)
    for _ in range(500):
        entry = client.cache.last_known((customer, None)) if client.cache else None
        if entry is not None and entry.pushed:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the push channel never delivered the customer")


def test_a_repeated_check_does_not_touch_the_network(live: LiveService) -> None:
    customer = new_customer(live)

    async def main() -> None:
        async with BillingSync.create_async_client(live.key, live.url) as client:
            first = await client.get_entitlement(_query(customer))
            sent = _counting(client)
            for _ in range(100):
                again = await client.get_entitlement(_query(customer))
            assert sent == []
            assert again.from_cache and not first.from_cache
            assert again.entitlement == first.entitlement

    asyncio.run(main())


def test_a_cached_check_applies_the_requested_usage_as_the_service_does(
    live: LiveService,
) -> None:
    customer = new_customer(live)
    asked = {"customerId": customer, "featureId": "feature-01-templates"}

    async def main() -> None:
        async with BillingSync.create_async_client(live.key, live.url) as client:
            await client.get_entitlement(_query(customer))
            for requested in (3, 4):
                query = FetchEntitlementQuery(**asked, options={"requestedUsage": requested})
                local = await client.get_entitlement(query)
                remote = await GeneratedClient.get_entitlement(client, query)  # the service
                assert local.from_cache
                assert local.entitlement == remote.entitlement

    asyncio.run(main())


def test_usage_reported_by_another_client_is_pushed_within_a_second(live: LiveService) -> None:
    customer = new_customer(live)

    async def main() -> None:
        async with BillingSync.create_async_client(live.key, live.url) as client:
            await _pushed(client, customer)
            sent = _counting(client)
            report = {"customerId": customer, "featureId": "feature-01-templates", "value": 2}
            await asyncio.to_thread(live.graphql, REPORT, {"input": report})
            await asyncio.to_thread(
                eventually,
                lambda: _usage(client, customer, "feature-01-templates") == 2,
                1.0,
                "the reported usage in the cache",
            )
            assert sent == []  # it came by push, not by a reload

    asyncio.run(main())


def test_a_promotion_granted_by_another_client_is_pushed_within_a_second(
    live: LiveService,
) -> None:
    customer = new_customer(live)
    query = _query(customer, "feature-03-custom-domain")

    async def main() -> None:
        async with BillingSync.create_async_client(live.key, live.url) as client:
            await _pushed(client, customer)
            assert not (await client.get_entitlement(query)).entitlement.is_granted
            grant = {"featureId": "feature-03-custom-domain", "period": "ONE_MONTH"}
            await asyncio.to_thread(
                live.graphql,
                GRANT,
                {"input": {"customerId": customer, "promotionalEntitlements": [grant]}},
            )

            def granted() -> bool:
                found = client.cached_entitlement(query)
                return found is not None and found.entitlement.is_granted

            await asyncio.to_thread(eventually, granted, 1.0, "the promotion in the cache")

    asyncio.run(main())


def test_a_subscription_changed_by_another_client_is_pushed_within_a_second(
    live: LiveService,
) -> None:
    customer = new_customer(live)

    async def main() -> None:
        async with BillingSync.create_async_client(live.key, live.url) as client:
            await _pushed(client, customer)
            assert _usage(client, customer, "feature-05-pages") is None
            subscription = {"customerId": customer, "planId": "plan-revvenu-sites-starter"}
            await asyncio.to_thread(live.graphql, PROVISION_SUBSCRIPTION, {"input": subscription})
            await asyncio.to_thread(
                eventually,
                lambda: _usage(client, customer, "feature-05-pages") is not None,
                1.0,
                "the new plan's feature in the cache",
            )

    asyncio.run(main())


def test_without_the_push_channel_a_change_is_seen_once_the_ttl_has_passed(
    live: LiveService,
) -> None:
    customer = new_customer(live)
    clock = Clock()

    async def main() -> None:
        client = BillingSync.create_async_client(live.key, live.url, push=False, cache_ttl=30)
        async with client:
            assert client.cache is not None
            client.cache.clock = clock
            await client.get_entitlement(_query(customer))
            report = {"customerId": customer, "featureId": "feature-01-templates", "value": 1}
            await asyncio.to_thread(live.graphql, REPORT, {"input": report})
            sent = _counting(client)

            clock.now += 30
            answer = await client.get_entitlement(_query(customer))
            assert (answer.entitlement.current_usage, len(sent)) == (0, 0)

            clock.now += 0.01
            answer = await client.get_entitlement(_query(customer))
            assert (answer.entitlement.current_usage, len(sent)) == (1, 1)

    asyncio.run(main())


def test_report_usage_updates_the_cache_at_once(live: LiveService) -> None:
    customer = new_customer(live)

    async def main() -> None:
        client = BillingSync.create_async_client(live.key, live.url, push=False)
        async with client:
            await client.get_entitlement(_query(customer))
            report = {"customerId": customer, "featureId": "feature-01-templates", "value": 3}
            await client.report_usage(ReportUsageInput(**report))
            answer = client.cached_entitlement(_query(customer))
            assert answer is not None and answer.entitlement.current_usage == 3

    asyncio.run(main())


def test_an_unreachable_service_answers_the_last_known_value_flagged(live: LiveService) -> None:
    customer = new_customer(live)

    async def main() -> None:
        client = BillingSync.create_async_client(
            live.key, live.url, push=False, cache_ttl=0.0, max_retries=0
        )
        async with client:
            known = await client.get_entitlement(_query(customer))
            client.url = f"http://127.0.0.1:{free_port()}/graphql"  # nothing listens there
            answer = await client.get_entitlement(_query(customer))
            assert answer.is_fallback and answer.from_cache
            assert answer.entitlement == known.entitlement

    asyncio.run(main())


def test_an_unreachable_service_denies_when_told_to(live: LiveService) -> None:
    dead = f"http://127.0.0.1:{free_port()}"

    async def main() -> None:
        client = BillingSync.create_async_client(live.key, dead, fallback="deny", max_retries=0)
        async with client:
            answer = await client.get_entitlement(_query("anyone"))
            assert answer.is_fallback
            assert answer.entitlement.is_granted is False
            assert answer.entitlement.access_denied_reason == "Unknown"

    asyncio.run(main())


def test_the_sync_client_answers_a_cached_check_in_the_callers_thread(live: LiveService) -> None:
    customer = new_customer(live)
    with BillingSync.create_client(live.key, live.url) as client:
        first = client.get_entitlement(_query(customer))
        again = client.get_entitlement(_query(customer))
    assert again.from_cache and again.entitlement == first.entitlement
