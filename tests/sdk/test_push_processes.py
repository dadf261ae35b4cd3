"""The push channel across API processes: an SDK connected to one ``billing-sync serve``
hears a change committed by another, through the Redis messages the entitlement caches
share (PostgreSQL and Redis, as a scaled-out deployment runs)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import redis
from billing_sync_sdk import BillingSync, FetchEntitlementQuery

import tests.conftest as shared
from tests.conftest import _create_database, _drop_database, require_service
from tests.sdk.conftest import LiveService, eventually, new_customer

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

REPORT = """
mutation($input: ReportUsageInput!) { reportUsage(input: $input) { currentUsage } }
"""


@pytest.fixture(scope="module")
def two_apis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    url = f"{shared.TEST_DATABASE_URL}_sdk"
    redis_url = shared.TEST_REDIS_URL
    try:
        redis.Redis.from_url(redis_url).ping()
    except redis.RedisError as exc:
        require_service("Redis", exc)
    try:
        _create_database(url)
    except Exception as exc:  # noqa: BLE001
        require_service("PostgreSQL", exc)
    service = LiveService(tmp_path_factory.mktemp("sdk-two"), url, redis_url)
    try:
        service.start()
        service.start()
        yield service
    finally:
        service.stop()
        _drop_database(url)


def test_usage_reported_on_another_api_process_is_pushed_within_a_second(
    two_apis: LiveService,
) -> None:
    first, second = two_apis.urls
    customer = new_customer(two_apis, url=second)
    query = FetchEntitlementQuery(**{"customerId": customer, "featureId": "feature-01-templates"})

    async def main() -> None:
        async with BillingSync.create_async_client(two_apis.key, first) as client:
            await client.get_entitlement(query)
            assert client.push is not None
            await asyncio.wait_for(client.push.connected.wait(), 10)
            push = client.push
            await asyncio.to_thread(eventually, lambda: push.updates > 0, 5, "the first push")
            report = {"customerId": customer, "featureId": "feature-01-templates", "value": 2}
            await asyncio.to_thread(two_apis.graphql, REPORT, {"input": report}, second)

            def pushed() -> bool:
                found = client.cached_entitlement(query)
                return found is not None and found.entitlement.current_usage == 2

            await asyncio.to_thread(eventually, pushed, 1.0, "usage from the other process")

    asyncio.run(main())
