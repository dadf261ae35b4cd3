"""estimateSubscriptionUpdate over GraphQL, and the pricing engine alone.

Starts ``billing-sync serve`` on a fresh SQLite file, provisions one subscription, then
sends a bounded number of estimateSubscriptionUpdate requests from a few concurrent
clients (requests/s, p50, p99); then times the in-process engine (price + prorate) per
call.

    .venv/bin/python bench/estimates.py [--requests 2000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.pricing import engine, proration  # noqa: E402
from bench.service import running  # noqa: E402

PROVISION = (
    "mutation($input: ProvisionSubscriptionInput!) { provisionSubscriptionV2(input: $input) "
    "{ subscription { refId } } }"
)
ESTIMATE = (
    "mutation($input: EstimateSubscriptionUpdateInput!) { estimateSubscriptionUpdate(input: "
    "$input) { subTotal { amount } total { amount } proration { credit { amount } debit "
    "{ amount } } } }"
)


async def drive(url: str, key: str, ref: str, total: int, concurrency: int) -> list[float]:
    latencies: list[float] = []
    numbers = iter(range(total))
    async with httpx.AsyncClient(headers={"X-API-KEY": key}, timeout=30) as client:

        async def one_client() -> None:
            for i in numbers:
                body = {
                    "query": ESTIMATE,
                    "variables": {
                        "input": {
                            "subscriptionId": ref,
                            "billableFeatures": [
                                {"featureId": "feature-01-templates", "quantity": 2 + i % 20}
                            ],
                            "addons": [{"addonId": "addon-10-campaigns", "quantity": 1 + i % 3}],
                        }
                    },
                }
                started = time.perf_counter()
                response = await client.post(url, json=body)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200 or "errors" in response.json():
                    raise SystemExit(f"request failed: {response.text[:300]}")

        await asyncio.gather(*(one_client() for _ in range(concurrency)))
    return latencies


def engine_alone(calls: int) -> float:
    start = datetime(2024, 1, 31, tzinfo=UTC)
    end = datetime(2024, 2, 29, tzinfo=UTC)
    old = [engine.Item("flat", Decimal("10"), 1), engine.Item("seat", Decimal("5"), 2)]
    new = [
        engine.Item("flat", Decimal("10"), 1),
        engine.Item("seat", Decimal("5"), 7),
        engine.Item("addon", Decimal("5"), 2),
    ]
    coupon = engine.Coupon("PERCENTAGE", Decimal("30"))
    started = time.perf_counter()
    for i in range(calls):
        engine.price(new, "USD", coupon)
        proration.prorate(old, new, start, end, start + timedelta(seconds=1 + i), "USD")
    return (time.perf_counter() - started) / calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    with running() as service:
        url, headers = service.graphql, {"X-API-KEY": service.key}
        httpx.post(
            url,
            headers=headers,
            json={
                "query": "mutation { provisionCustomer(input: "
                '{customerId: "bench"}) { customer { customerId } } }'
            },
        )
        ref = httpx.post(
            url,
            headers=headers,
            json={
                "query": PROVISION,
                "variables": {
                    "input": {
                        "customerId": "bench",
                        "planId": "plan-revvenu-growth",
                        "billingPeriod": "MONTHLY",
                        "skipTrial": True,
                        "billableFeatures": [{"featureId": "feature-01-templates", "quantity": 2}],
                    }
                },
            },
        ).json()["data"]["provisionSubscriptionV2"]["subscription"]["refId"]
        started = time.perf_counter()
        latencies = asyncio.run(drive(url, service.key, ref, args.requests, args.concurrency))
        elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    print(
        f"estimateSubscriptionUpdate over GraphQL (SQLite, {args.concurrency} clients, "
        f"{os.cpu_count()} cores): {len(ordered) / elapsed:.0f} req/s, "
        f"p50 {statistics.median(ordered) * 1000:.2f} ms, "
        f"p99 {ordered[int(len(ordered) * 0.99) - 1] * 1000:.2f} ms"
    )
    per_call = engine_alone(20000)
    print(f"pricing engine alone (price + prorate): {per_call * 1e6:.1f} us per call")


if __name__ == "__main__":
    main()
