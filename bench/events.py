"""reportEvent throughput, and how soon a check sees an event, against a real server.

Starts one ``billing-sync serve`` process on the database given (PostgreSQL for the
figures that matter; its ``public`` schema is dropped and recreated, so give it a
database of its own) and provisions a few customers on a plan that counts active users
(the example catalog's UNIQUE meter of ``user_login`` events). Then:

1. throughput: reportEvent in batches of ``--batch`` events from ``--concurrency``
   clients: events/s accepted, p50 and p99 per batch;
2. visibility: events for one customer at ``--rate`` events/s for ``--seconds``
   while another client polls ``entitlement`` for it: the p99 delay between sending an
   event and the first check that counts it.

    .venv/bin/python bench/events.py --database-url postgresql://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/events.py          # a fresh SQLite file

Without ``--database-url`` (or BENCH_DATABASE_URL) it runs on a fresh SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import db  # noqa: E402
from bench.service import running  # noqa: E402

# The example catalog counts the distinct users who log in (UNIQUE user_id of user_login).
FEATURE = "feature-06-active-users"
REPORT = "mutation($events: UsageEventsReportInput!) { reportEvent(events: $events) }"
CHECK = "query($q: FetchEntitlementQuery!) { entitlement(query: $q) { currentUsage isGranted } }"
PROVISION = (
    "mutation($input: ProvisionCustomerInput!) { provisionCustomer(input: $input) "
    "{ customer { customerId } } }"
)
SUBSCRIBE = (
    "mutation($input: ProvisionSubscriptionInput!) { provisionSubscriptionV2(input: $input) "
    "{ status } }"
)


def fresh_postgresql(url: str) -> None:
    engine = db.make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def batch_body(customer: str, prefix: str, size: int, users: int, first: int = 0) -> bytes:
    """Logins of users ``first``, ``first + 1``, ... of ``users`` (0: a new user each)."""
    events = [
        {
            "customerId": customer,
            "eventName": "user_login",
            "idempotencyKey": f"{prefix}-{i}",
            "dimensions": {
                "user_id": f"{prefix}-{i}" if users == 0 else f"user-{(first + i) % users}",
                "method": "password" if i % 4 else "sso",
            },
        }
        for i in range(size)
    ]
    return json.dumps({"query": REPORT, "variables": {"events": {"usageEvents": events}}}).encode()


async def post(client: httpx.AsyncClient, url: str, body: bytes) -> dict[str, Any]:
    response = await client.post(url, content=body, headers={"content-type": "application/json"})
    answer: dict[str, Any] = response.json()
    if response.status_code != 200 or answer.get("errors"):
        raise SystemExit(f"request failed: {response.text[:300]}")
    return answer


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def throughput(
    url: str, key: str, pid: int, customers: list[str], batches: int, size: int, concurrency: int
) -> None:
    bodies = [
        batch_body(customers[n % len(customers)], f"t{n}", size, users=20_000, first=n * size)
        for n in range(batches)
    ]
    latencies: list[float] = []
    queue = iter(bodies)
    async with httpx.AsyncClient(headers={"X-API-KEY": key}, timeout=60) as client:

        async def one_client() -> None:
            for body in queue:
                started = time.perf_counter()
                await post(client, url, body)
                latencies.append(time.perf_counter() - started)

        started, cpu, own = time.perf_counter(), cpu_seconds(pid), time.process_time()
        await asyncio.gather(*(one_client() for _ in range(concurrency)))
        elapsed, cpu = time.perf_counter() - started, cpu_seconds(pid) - cpu
        own = time.process_time() - own
    ordered = sorted(latencies)
    print(
        f"throughput: {batches * size / elapsed:,.0f} events/s accepted "
        f"({batches} batches of {size}, {concurrency} clients, {elapsed:.1f} s); per batch "
        f"p50 {statistics.median(ordered) * 1000:.0f} ms, "
        f"p99 {ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000:.0f} ms; the server "
        f"process used {cpu / elapsed:.0%} of a core, {cpu / batches * 1000:.0f} ms per batch "
        f"(these clients {own / elapsed:.0%})"
    )


async def visibility(url: str, key: str, customer: str, rate: int, seconds: float) -> None:
    """Batches of rate/20 events every 50 ms while a poller checks the customer's usage.

    reportEvent answers after its transaction commits, so a check that starts after
    the answer counts the batch: an event's delay is from its send to the answer of the
    first check that started after its batch was answered (an upper bound, within one
    check of the truth). Every such check must show at least the events answered.
    """
    per_batch = max(1, rate // 20)
    interval = per_batch / rate
    count = int(seconds / interval)
    counted = per_batch  # every event a new user
    batches: list[tuple[float, float]] = []  # (sent, answered)
    checks: list[tuple[float, float, float]] = []  # (started, answered, usage)
    done = asyncio.Event()
    check = json.dumps(
        {"query": CHECK, "variables": {"q": {"customerId": customer, "featureId": FEATURE}}}
    ).encode()
    async with httpx.AsyncClient(headers={"X-API-KEY": key}, timeout=60) as client:

        async def poll() -> None:
            while not done.is_set():
                started = time.perf_counter()
                answer = await post(client, url, check)
                usage = answer["data"]["entitlement"]["currentUsage"]
                checks.append((started, time.perf_counter(), usage))

        async def send_one(n: int) -> None:
            body = batch_body(customer, f"v{n}", per_batch, users=0)
            sent = time.perf_counter()
            await post(client, url, body)
            batches.append((sent, time.perf_counter()))

        poller = asyncio.create_task(poll())
        started = time.perf_counter()
        senders = []
        for n in range(count):
            await asyncio.sleep(max(0.0, started + n * interval - time.perf_counter()))
            senders.append(asyncio.create_task(send_one(n)))
        await asyncio.gather(*senders)
        last = max(answered for _, answered in batches)
        while not checks or checks[-1][0] < last:
            await asyncio.sleep(0.01)
        done.set()
        await poller
    delays = []
    for sent, answered in batches:
        first = next(c for c in checks if c[0] >= answered)
        delays.append(first[1] - sent)
    for check_started, _, usage in checks:
        committed = sum(1 for _, answered in batches if answered <= check_started)
        if usage < committed * counted:
            raise SystemExit(f"a check saw {usage} events, {committed * counted} were answered")
    delays.sort()
    print(
        f"visibility: {rate:,} events/s for {seconds:.0f} s ({count} batches of {per_batch}), "
        f"{len(checks)} checks: event to counted p50 {statistics.median(delays) * 1000:.0f} ms, "
        f"p99 {delays[max(0, int(len(delays) * 0.99) - 1)] * 1000:.0f} ms, "
        f"max {delays[-1] * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--customers", type=int, default=8)
    parser.add_argument("--rate", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/events.db"
        if make_url(url).get_backend_name() == "postgresql":
            fresh_postgresql(url)
        with running(DATABASE_URL=url) as service:
            customers = [f"bench-{n}" for n in range(args.customers)]
            with httpx.Client(headers={"X-API-KEY": service.key}, timeout=30) as client:
                for customer in [*customers, "probe"]:
                    for query, data in (
                        (PROVISION, {"customerId": customer}),
                        (SUBSCRIBE, {"customerId": customer, "planId": "plan-revvenu-free"}),
                    ):
                        answer = client.post(
                            service.graphql, json={"query": query, "variables": {"input": data}}
                        ).json()
                        if answer.get("errors"):
                            raise SystemExit(f"set-up failed: {answer['errors']}")
            print(
                f"billing-sync reportEvent on {make_url(url).get_backend_name()}, one serve "
                f"process, {os.cpu_count()} cores"
            )
            asyncio.run(
                throughput(
                    service.graphql,
                    service.key,
                    service.pid,
                    customers,
                    args.batches,
                    args.batch,
                    args.concurrency,
                )
            )
            asyncio.run(visibility(service.graphql, service.key, "probe", args.rate, args.seconds))


if __name__ == "__main__":
    main()
