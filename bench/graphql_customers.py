"""Customer reads and provisions over GraphQL against a real server process.

Starts ``billing-sync serve`` on a fresh SQLite file (the embedded default) on a free
loopback port, then sends a bounded number of requests from a few concurrent clients
and prints requests/s with p50 and p99 latency for each operation.

    .venv/bin/python bench/graphql_customers.py [--requests 2000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.service import running

GET = (
    "query($id: String!) { getCustomerByRefId(input: {customerId: $id}) { customerId name email } }"
)
PROVISION = (
    "mutation($input: ProvisionCustomerInput!) { provisionCustomer(input: $input) "
    "{ customer { customerId } subscriptionDecisionStrategy } }"
)


async def drive(url: str, key: str, body_for, total: int, concurrency: int) -> list[float]:  # type: ignore[no-untyped-def]
    latencies: list[float] = []
    counter = iter(range(total))
    async with httpx.AsyncClient(headers={"X-API-KEY": key}, timeout=30) as client:

        async def one_client() -> None:
            for i in counter:
                started = time.perf_counter()
                response = await client.post(url, json=body_for(i))
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200 or "errors" in response.json():
                    raise SystemExit(f"request failed: {response.text[:300]}")

        await asyncio.gather(*(one_client() for _ in range(concurrency)))
    return latencies


def report(name: str, latencies: list[float], elapsed: float) -> None:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    print(f"{name:<20} {len(ordered) / elapsed:8.0f} req/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    with running() as service:
        url, key = service.graphql, service.key
        print(
            f"billing-sync GraphQL on SQLite, {args.requests} requests per operation, "
            f"{args.concurrency} concurrent clients, {os.cpu_count()} cores"
        )

        def provision(i: int) -> dict[str, object]:
            return {
                "query": PROVISION,
                "variables": {
                    "input": {
                        "customerId": f"bench-{i}",
                        "name": "Bench",
                        "email": f"b{i}@bench.com",
                    }
                },
            }

        def read(i: int) -> dict[str, object]:
            return {"query": GET, "variables": {"id": f"bench-{i % args.requests}"}}

        for name, body in (("provisionCustomer", provision), ("getCustomerByRefId", read)):
            started = time.perf_counter()
            latencies = asyncio.run(drive(url, key, body, args.requests, args.concurrency))
            report(name, latencies, time.perf_counter() - started)


if __name__ == "__main__":
    main()
