"""Provision paid customers end to end against the Stripe test server.

Starts the Stripe test server and ``billing-sync serve`` (SQLite, in-process worker,
STRIPE_API_BASE pointing at the test server), then for every customer: provisionCustomer
with a card, and once the card is on file, provisionSubscriptionV2 on a paid plan with
awaitPaymentConfirmation. Prints customers/s and the Stripe requests/s it took, against
the client-side rate limit in force (STRIPE_RATE_LIMIT, default 25), which the test
server enforces too (a 429 beyond it, as Stripe answers).

    .venv/bin/python bench/stripe_provisioning.py [--customers 1000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.service import running  # noqa: E402
from tests.stripe_server.server import StripeTestServer  # noqa: E402

CUSTOMER = (
    "mutation($input: ProvisionCustomerInput!) { provisionCustomer(input: $input) "
    "{ customer { hasPaymentMethod } } }"
)
READ = "query($id: String!) { getCustomerByRefId(input: {customerId: $id}) { hasPaymentMethod } }"
SUBSCRIBE = (
    "mutation($input: ProvisionSubscriptionInput!) { provisionSubscriptionV2(input: $input) "
    "{ status subscription { billingId latestInvoice { status } } } }"
)


async def one(client: httpx.AsyncClient, url: str, i: int) -> None:
    customer_id = f"bench-{i}"
    await client.post(
        url,
        json={
            "query": CUSTOMER,
            "variables": {
                "input": {
                    "customerId": customer_id,
                    "billingInformation": {"paymentMethodId": "pm_card_visa"},
                }
            },
        },
    )
    while True:
        answer = (
            await client.post(url, json={"query": READ, "variables": {"id": customer_id}})
        ).json()
        if answer["data"]["getCustomerByRefId"]["hasPaymentMethod"]:
            break
        await asyncio.sleep(0.05)
    result = (
        await client.post(
            url,
            json={
                "query": SUBSCRIBE,
                "variables": {
                    "input": {
                        "customerId": customer_id,
                        "planId": "plan-revvenu-essentials",
                        "billingPeriod": "MONTHLY",
                        "unitQuantity": 2,
                        "skipTrial": True,
                        "awaitPaymentConfirmation": True,
                    }
                },
            },
        )
    ).json()
    shown = result["data"]["provisionSubscriptionV2"]["subscription"]
    if not shown["billingId"]:
        raise SystemExit(f"customer {customer_id}: no Stripe subscription: {result}")


async def drive(url: str, key: str, customers: int, concurrency: int) -> None:
    numbers = iter(range(customers))
    async with httpx.AsyncClient(headers={"X-API-KEY": key}, timeout=60) as client:

        async def worker() -> None:
            for i in numbers:
                await one(client, url, i)

        await asyncio.gather(*(worker() for _ in range(concurrency)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    with StripeTestServer() as stripe_server:
        settings = {
            "STRIPE_API_KEY": "sk_test_bench",
            "STRIPE_API_BASE": stripe_server.url,
            "WORKER_THREADS": "8",
        }
        limit = int(os.environ.get("STRIPE_RATE_LIMIT", "25"))
        # The test server refuses what Stripe would: more than the limit is a 429.
        stripe_server.api.rate_limit = limit
        with running(**settings) as service:
            before = len(stripe_server.api.requests)
            started = time.perf_counter()
            asyncio.run(drive(service.graphql, service.key, args.customers, args.concurrency))
            elapsed = time.perf_counter() - started
            made = stripe_server.api.requests[before:]
            requests = len(made)
            limited = sum(1 for r in made if r.get("status") == 429)
    per_second = requests / elapsed
    print(
        f"{args.customers} paid customers with subscriptions in {elapsed:.1f} s: "
        f"{args.customers / elapsed:.2f} customers/s"
    )
    print(
        f"Stripe requests: {requests} ({requests / args.customers:.1f} per customer), "
        f"{per_second:.1f}/s = {per_second / limit:.0%} of the {limit}/s limit in force, "
        f"{limited} answered 429 by the server's own limit"
    )


if __name__ == "__main__":
    main()
