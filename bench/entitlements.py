"""Entitlement checks against a real server, each figure a ratio to a ceiling.

The machine is shared and noisy (two cores, other work on them), so requests/s say
little from one run to the next. Each workload is therefore given as a ratio to a
ceiling measured in the same run by the same load generator: the trivial GraphQL query
``{ __typename }`` POSTed to the same ``/graphql`` with the same API key (HTTP, the
API-key lookup and Strawberry, no service call). ``--seconds`` per workload are cut into
``--rounds`` interleaved slices (ceiling, each workload, ..., a closing ceiling), and
each slice is divided by the mean of the ceilings around it, so a burst of other work on
the machine weighs on both sides of a ratio. The absolute figures stand beside it, with
the CPU the server and the load generator used (a server below 100% of a core was not
given one). A second ceiling is measured too, the bare stack (``bench/stack_ceiling.py``:
FastAPI + Strawberry's router with their caches and no billing-sync code), the
framework's own ceiling. The goal is judged against it: billing-sync's own
``{ __typename }`` skips FastAPI's dependency layer (``/graphql`` is a plain ASGI route)
and is faster than the bare stack; both ratios are printed.

Starts ``billing-sync serve`` (SQLite by default; ``--database-url`` for PostgreSQL),
applies the example catalog, provisions customers on plan-revvenu-free (a third also
with a growth subscription for a resourceId, half with reported campaign usage), then
keeps 16 keep-alive connections busy: GetEntitlement and GetEntitlements (the guide's
documents, random customers and features, requestedUsage 0, with and without resourceId)
and reportUsage (DELTA 1). ``--profile`` then samples the server with py-spy under
``{ __typename }`` and GetEntitlement (``bench/spy.py``) and times each step of a check
alone in this process (``bench/costs.py``).

    .venv/bin/python bench/entitlements.py [--seconds 10] [--rounds 5] [--customers 100]
        [--database-url postgresql://postgres@127.0.0.1:5432/bench] [--profile]
        [--workers 2 [--redis-url redis://127.0.0.1:6379/6]]

With ``--workers N`` the server is ``serve --workers N`` (N processes on one port, sharing
cache invalidations through Redis), and the ceiling is measured on the same N processes.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load, spy  # noqa: E402
from bench.service import Service, free_port, running  # noqa: E402
from bench.service import database as chosen_database  # noqa: E402
from bench.stack_ceiling import bare_stack  # noqa: E402

SEEDS = ROOT / "tests" / "graphql" / "seeds"
GET_ENTITLEMENT = (SEEDS / "GetEntitlement.graphql").read_text()
GET_ENTITLEMENTS = (SEEDS / "GetEntitlements.graphql").read_text()
REPORT_USAGE = (SEEDS / "ReportUsage.graphql").read_text()
PROVISION_CUSTOMER = (
    "mutation($input: ProvisionCustomerInput!) { provisionCustomer(input: $input) "
    "{ customer { customerId } subscription { refId } } }"
)
PROVISION_SUBSCRIPTION = (
    "mutation($input: ProvisionSubscriptionInput!) { provisionSubscriptionV2(input: $input) "
    "{ subscription { refId } } }"
)
FEATURES = ("feature-01-templates", "feature-02-campaigns")
RESOURCE = "workspace-1"
# Distinct pre-encoded requests per workload, taken in turn by the connections.
VARIANTS = 1024
# The goals for GetEntitlement under 16 connections.
GOAL_RATIO = 0.60
GOAL_P99 = 0.020


@dataclass(frozen=True)
class Customer:
    ref: str
    resource: str | None  # a resourceId it has a subscription for


def _graphql(client: httpx.Client, service: Service, query: str, variables: Any) -> Any:
    response = client.post(service.graphql, json={"query": query, "variables": variables})
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise SystemExit(f"setup request failed: {response.text[:500]}")
    return body["data"]


def provision(service: Service, count: int) -> list[Customer]:
    customers = []
    with httpx.Client(headers={"X-API-KEY": service.key}, timeout=60) as client:
        for i in range(count):
            ref = f"bench-{i:04d}"
            customer = {
                "customerId": ref,
                "name": f"Bench {i}",
                "subscriptionParams": {"planId": "plan-revvenu-free"},
            }
            _graphql(client, service, PROVISION_CUSTOMER, {"input": customer})
            resource = RESOURCE if i % 3 == 0 else None
            if resource is not None:
                subscription = {
                    "customerId": ref,
                    "planId": "plan-revvenu-growth",
                    "billingPeriod": "MONTHLY",
                    "resourceId": resource,
                    "billableFeatures": [{"featureId": "feature-01-templates", "quantity": 5}],
                }
                _graphql(client, service, PROVISION_SUBSCRIPTION, {"input": subscription})
            if i % 2 == 0:
                usage: dict[str, Any] = {"customerId": ref, "featureId": "feature-02-campaigns"}
                usage |= {"value": 1, "resourceId": resource}
                _graphql(client, service, REPORT_USAGE, {"input": usage})
            customers.append(Customer(ref, resource))
    return customers


def _scoped(chosen: Customer, rng: random.Random) -> dict[str, str]:
    """With and without resourceId: half the checks of a customer that has one use it."""
    if chosen.resource is not None and rng.random() < 0.5:
        return {"resourceId": chosen.resource}
    return {}


def check_variables(customers: list[Customer], count: int) -> list[dict[str, Any]]:
    """GetEntitlement variables: random customers and features, requestedUsage 0."""
    rng = random.Random(20240131)
    found = []
    for _ in range(count):
        chosen = rng.choice(customers)
        query = {
            "customerId": chosen.ref,
            "featureId": rng.choice(FEATURES),
            "options": {"requestedUsage": 0},
            **_scoped(chosen, rng),
        }
        found.append({"query": query})
    return found


def workloads(service: Service, customers: list[Customer]) -> dict[str, list[bytes]]:
    rng = random.Random(20240201)
    headers = {"X-API-KEY": service.key}

    def graphql(query: str, variables: Any = None) -> bytes:
        payload: dict[str, Any] = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        return load.post_json("/graphql", payload, headers)

    def checks() -> bytes:
        chosen = rng.choice(customers)
        query = {"customerId": chosen.ref, **_scoped(chosen, rng)}
        return graphql(GET_ENTITLEMENTS, {"query": query})

    def report() -> bytes:
        chosen = rng.choice(customers)
        usage = {
            "customerId": chosen.ref,
            "featureId": "feature-02-campaigns",
            "value": 1,
            "updateBehavior": "DELTA",
            **_scoped(chosen, rng),
        }
        return graphql(REPORT_USAGE, {"input": usage})

    return {
        "ceiling": [graphql("{ __typename }")],
        "bare": [load.post_json("/graphql", {"query": "{ __typename }"})],
        "healthz": [load.get("/healthz")],
        "GetEntitlement": [
            graphql(GET_ENTITLEMENT, variables)
            for variables in check_variables(customers, VARIANTS)
        ],
        "GetEntitlements": [checks() for _ in range(VARIANTS)],
        "reportUsage": [report() for _ in range(VARIANTS)],
    }


def measure(
    service: Service,
    name: str,
    requests: list[bytes],
    seconds: float,
    warmup: float,
    args: Any,
    bare: tuple[int, int] | None = None,
) -> load.Result:
    """One slice of one workload; ``bare`` (port, pid) sends it to the bare stack."""
    port, pid = bare if name == "bare" and bare is not None else (service.port, service.pid)
    result = load.run(
        "127.0.0.1",
        port,
        requests,
        connections=args.connections,
        seconds=seconds,
        warmup=warmup,
        processes=args.processes,
        check_body=name != "healthz",
        server_pid=pid,
    )
    if result.failed:
        print(f"  {name}: {result.failed} failed, e.g. {result.first_failure}")
    return result


@dataclass(frozen=True)
class Row:
    """One workload over every round: figures of all its slices, ratios per round."""

    result: load.Result
    ratios: list[float]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)


def rows(rounds: list[dict[str, load.Result]], closing: load.Result) -> dict[str, Row]:
    """Each slice's ratio is to the mean of the ceiling before it and the next one."""
    ceilings = [slices["ceiling"].rate for slices in rounds] + [closing.rate]
    found = {}
    for name in rounds[0]:
        slices = [each[name] for each in rounds]
        ratios = [
            each.rate / ((ceilings[i] + ceilings[i + 1]) / 2) for i, each in enumerate(slices)
        ]
        found[name] = Row(load.merge(slices), ratios)
    return found


def to_bare(found: dict[str, Row], name: str) -> list[float]:
    """A workload's ratio to the bare stack's ``{ __typename }``, round by round."""
    return [a / b for a, b in zip(found[name].ratios, found["bare"].ratios, strict=True)]


def figures(row: Row) -> str:
    """req/s, p50 and p99 in ms, the server's CPU and failures, as the tables print them."""
    result = row.result
    return (
        f"{result.rate:7.0f} {result.percentile(0.5) * 1000:7.2f}"
        f" {result.percentile(0.99) * 1000:7.2f} {result.server_cpu / result.seconds:6.0%}"
        f" {result.failed:6d}"
    )


LABELS = {
    "ceiling": "ceiling { __typename }",
    "bare": "bare stack { __typename }",
    "healthz": "GET /healthz (no GraphQL)",
    "GetEntitlement": "GetEntitlement",
    "GetEntitlements": "GetEntitlements (cachedEntit.)",
    "reportUsage": "reportUsage DELTA 1",
}


def report(args: argparse.Namespace, database: str, found: dict[str, Row]) -> None:
    check = found["GetEntitlement"]
    to_bare = [
        slices / ceiling for slices, ceiling in zip(check.ratios, found["bare"].ratios, strict=True)
    ]
    ratio, p99 = statistics.median(to_bare), check.result.percentile(0.99)
    ratio_goal = (
        f"to the bare stack >= {GOAL_RATIO:.2f} {'met' if ratio >= GOAL_RATIO else 'MISSED'}"
    )
    p99_goal = f"p99 <= {GOAL_P99 * 1000:.0f} ms {'met' if p99 <= GOAL_P99 else 'MISSED'}"
    processes = f"{args.workers} API processes" if args.workers > 1 else "one API process"
    print(
        f"\nbilling-sync serve ({processes}) on {database}, {args.customers} customers, "
        f"{args.connections} keep-alive connections from {args.processes} processes, "
        f"{args.seconds:g} s per workload in {args.rounds} rounds, {os.cpu_count()} cores"
    )
    print(
        "ratio: to the ceiling measured in the same round (the median over rounds, "
        "then the lowest and highest)"
    )
    print(
        f"{'workload':<31} {'ratio':>5} {'(range)':>11} {'req/s':>7} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'server':>6} {'client':>6} {'failed':>6}  goal"
    )
    for name, row in found.items():
        result = row.result
        spread = f"{min(row.ratios):.2f}-{max(row.ratios):.2f}"
        goal = f"{ratio_goal}; {p99_goal}" if name == "GetEntitlement" else ""
        print(
            f"{LABELS[name]:<31} {row.ratio:5.2f} {spread:>11} {result.rate:7.0f}"
            f" {result.percentile(0.5) * 1000:7.2f} {result.percentile(0.99) * 1000:7.2f}"
            f" {result.server_cpu / result.seconds:6.0%} {result.client_cpu / result.seconds:6.0%}"
            f" {result.failed:6d}  {goal}".rstrip()
        )
    print(
        f"GetEntitlement to the bare stack's {{ __typename }}: {ratio:.2f} "
        f"({min(to_bare):.2f}-{max(to_bare):.2f}); to billing-sync's own: {check.ratio:.2f}"
    )
    print(
        "server, client: CPU used in cores by the server's processes and by the load "
        "generator (a server below 100% per process was not given whole cores: the machine "
        "is shared)"
    )


def generator_capacity(args: argparse.Namespace, request: bytes) -> load.Result:
    port = free_port()
    with load.TrivialServer(port):
        return load.run(
            "127.0.0.1",
            port,
            [request],
            connections=args.connections,
            seconds=3.0,
            warmup=0.5,
            processes=args.processes,
            check_body=False,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    load.add_options(parser)
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="API processes behind the port (serve --workers); more than one needs Redis",
    )
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/6",
        help="the Redis several API processes share (with --workers above 1); "
        "the database is flushed",
    )
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL database to run on instead of a fresh SQLite file; "
        "its public schema is dropped and created afresh",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="then sample the server under load and time each step of a check alone",
    )
    args = parser.parse_args()

    extra, database = chosen_database(args.database_url)
    if args.workers > 1:
        import redis  # noqa: PLC0415 - only runs of several processes need it

        redis.Redis.from_url(args.redis_url).flushdb()
        extra |= {"API_WORKERS": str(args.workers), "REDIS_URL": args.redis_url}
        if args.profile:
            parser.error("--profile samples one process: run it without --workers")
    trivial = load.post_json("/graphql", {"query": "{ __typename }"}, {"X-API-KEY": "x"})
    capacity = generator_capacity(args, trivial)
    bare_port = free_port()
    with running(**extra) as service, bare_stack(bare_port, args.workers) as bare_pid:
        bare = (bare_port, bare_pid)
        started = time.monotonic()
        customers = provision(service, args.customers)
        print(f"provisioned {len(customers)} customers in {time.monotonic() - started:.1f} s")
        requests = workloads(service, customers)
        seconds = args.seconds / args.rounds
        rounds = []
        for number in range(args.rounds):
            warmup = args.warmup if number == 0 else 0.5
            rounds.append(
                {
                    name: measure(service, name, requests[name], seconds, warmup, args, bare)
                    for name in LABELS
                }
            )
        closing = measure(service, "ceiling", requests["ceiling"], seconds, 0.5, args)
        found = rows(rounds, closing)
        ceiling = found["ceiling"].result.rate
        print(
            f"load generator alone, against a server that does no work: "
            f"{capacity.rate:.0f} req/s (p50 {capacity.percentile(0.5) * 1000:.2f} ms), "
            f"{capacity.rate / ceiling:.0f}x the GraphQL ceiling, "
            f"{capacity.rate / found['GetEntitlement'].result.rate:.0f}x GetEntitlement"
        )
        report(args, database, found)
        if args.profile:
            # Imported here: it brings the whole application into this process.
            from bench import costs  # noqa: PLC0415

            spy.profile(service, requests, args)
            costs.report(
                costs.costs(
                    service.database_url,
                    service.key,
                    GET_ENTITLEMENT,
                    check_variables(customers, VARIANTS),
                )
            )


if __name__ == "__main__":
    main()
