"""The SDK's entitlement check: answered from its cache, and over HTTP without it.

Starts ``billing-sync serve`` on a fresh SQLite file with the example catalog, provisions
one customer, and times ``get_entitlement`` one call at a time:

- cached: the async client's check of a customer it has loaded (no network), p50 and
  p99 in microseconds, beside the ceiling of the same loop awaiting a coroutine that
  does nothing (goal: p50 under 50 us);
- uncached: the same check with the cache off, one HTTP request each, p50 and p99 in ms.

    .venv/bin/python bench/sdk.py [--checks 20000] [--requests 500]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from billing_sync_sdk import BillingSync, FetchEntitlementQuery

from bench.service import running

PROVISION = (
    "mutation($input: ProvisionCustomerInput!) { provisionCustomer(input: $input) "
    "{ customer { customerId } } }"
)
GOAL_P50_US = 50.0


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1]


async def nothing() -> None:
    return None


async def measure(url: str, key: str, checks: int, requests: int) -> None:
    query = FetchEntitlementQuery(
        **{
            "customerId": "bench-sdk",
            "featureId": "feature-02-campaigns",
            "options": {"requestedUsage": 1},
        }
    )
    clock = time.perf_counter_ns
    ceiling: list[float] = []
    for _ in range(checks):
        started = clock()
        await nothing()
        ceiling.append((clock() - started) / 1000)

    async with BillingSync.create_async_client(key, url) as client:
        assert not (await client.get_entitlement(query)).from_cache
        cached: list[float] = []
        for _ in range(checks):
            started = clock()
            answer = await client.get_entitlement(query)
            cached.append((clock() - started) / 1000)
        assert answer.from_cache
        assert answer.entitlement.is_granted

    async with BillingSync.create_async_client(key, url, entitlements_cache=False) as client:
        await client.get_entitlement(query)
        uncached: list[float] = []
        for _ in range(requests):
            started = clock()
            await client.get_entitlement(query)
            uncached.append((clock() - started) / 1e6)

    c50, c99 = percentiles(ceiling)
    p50, p99 = percentiles(cached)
    u50, u99 = percentiles(uncached)
    verdict = "met" if p50 < GOAL_P50_US else "MISSED"
    print(f"ceiling (await of a no-op)  p50 {c50:7.2f} us   p99 {c99:7.2f} us")
    print(
        f"cached get_entitlement      p50 {p50:7.2f} us   p99 {p99:7.2f} us   "
        f"({checks} checks; goal p50 < {GOAL_P50_US:g} us: {verdict})"
    )
    print(
        f"uncached (HTTP)             p50 {u50:7.2f} ms   p99 {u99:7.2f} ms   "
        f"({requests} requests; {u50 * 1000 / p50:,.0f}x the cached p50)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checks", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    with running() as service:
        subscription = {"planId": "plan-revvenu-free"}
        response = httpx.post(
            f"{service.base}/graphql",
            headers={"X-API-KEY": service.key},
            json={
                "query": PROVISION,
                "variables": {
                    "input": {"customerId": "bench-sdk", "subscriptionParams": subscription}
                },
            },
            timeout=30,
        )
        assert "errors" not in response.json(), response.text
        asyncio.run(measure(service.base, service.key, args.checks, args.requests))


if __name__ == "__main__":
    main()
