"""Reads and estimates backends make inside their own requests, as ratios to a ceiling.

The seed documents, unchanged, against ``billing-sync serve`` on the embedded default:
GetCustomerByRefId, getSubscription with the seed's SubscriptionFragment
(GetActiveSubscriptions.graphql), EstimateSubscription and EstimateSubscriptionUpdate,
each on many customers and subscriptions provisioned first (plan-revvenu-growth, monthly,
templates and the campaigns addon). Measured as ``bench/entitlements.py`` measures: 16
keep-alive connections from the lean load generator, slices interleaved with two
ceilings in rounds, each slice divided by the ceilings around it. The goals are ratios
to the framework's own ceiling (``bench/stack_ceiling.py``: FastAPI + Strawberry's
router with their caches, ``{ __typename }``); billing-sync's own ``{ __typename }``
is printed beside them.

    .venv/bin/python bench/reads.py [--seconds 10] [--rounds 5] [--customers 100]
        [--database-url postgresql://postgres@127.0.0.1:5432/bench]
        [--only GetActiveSubscriptions --only ...]   (the ceilings are always measured)
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load  # noqa: E402
from bench.entitlements import Row, _graphql, figures, measure, rows, to_bare  # noqa: E402
from bench.service import Service, free_port, running  # noqa: E402
from bench.service import database as chosen_database  # noqa: E402
from bench.stack_ceiling import bare_stack  # noqa: E402

SEEDS = ROOT / "tests" / "graphql" / "seeds"
DOCUMENTS = {
    name: (SEEDS / f"{name}.graphql").read_text()
    for name in (
        "GetCustomerByRefId",
        "GetActiveSubscriptions",
        "EstimateSubscription",
        "EstimateSubscriptionUpdate",
    )
}
PROVISION_CUSTOMER = (
    "mutation($input: ProvisionCustomerInput!) { provisionCustomer(input: $input) "
    "{ customer { customerId } } }"
)
PROVISION_SUBSCRIPTION = (
    "mutation($input: ProvisionSubscriptionInput!) { provisionSubscriptionV2(input: $input) "
    "{ subscription { refId } } }"
)
VARIANTS = 512
# (workload, label, goal: the lowest ratio to the bare stack)
GOALS = {
    "GetCustomerByRefId": ("getCustomerByRefId", 0.50),
    "GetActiveSubscriptions": ("getSubscription (fragment)", 0.40),
    "EstimateSubscription": ("estimateSubscription", 0.40),
    "EstimateSubscriptionUpdate": ("estimateSubscriptionUpdate", 0.40),
}
GOAL_P99 = 0.050
LABELS = {
    "ceiling": "ceiling { __typename }",
    "bare": "bare stack { __typename }",
    **{name: label for name, (label, _) in GOALS.items()},
}


def provision(service: Service, count: int) -> list[tuple[str, str]]:
    """(customer refId, subscription refId) of ``count`` customers on the growth plan."""
    made = []
    with httpx.Client(headers={"X-API-KEY": service.key}, timeout=60) as client:
        for i in range(count):
            ref = f"reads-{i:04d}"
            customer = {"customerId": ref, "name": f"Reads {i}", "email": f"r{i}@example.com"}
            _graphql(client, service, PROVISION_CUSTOMER, {"input": customer})
            subscription = {
                "customerId": ref,
                "planId": "plan-revvenu-growth",
                "billingPeriod": "MONTHLY",
                "billableFeatures": [{"featureId": "feature-01-templates", "quantity": 2}],
                "addons": [{"addonId": "addon-10-campaigns", "quantity": 1}],
            }
            answer = _graphql(client, service, PROVISION_SUBSCRIPTION, {"input": subscription})
            made.append((ref, answer["provisionSubscriptionV2"]["subscription"]["refId"]))
    return made


def workloads(service: Service, made: list[tuple[str, str]]) -> dict[str, list[bytes]]:
    rng = random.Random(20240301)
    headers = {"X-API-KEY": service.key}

    def graphql(name: str, variables: Any) -> bytes:
        payload = {"query": DOCUMENTS[name], "variables": variables}
        return load.post_json("/graphql", payload, headers)

    def variables(name: str) -> dict[str, Any]:
        customer, subscription = rng.choice(made)
        if name == "GetCustomerByRefId":
            return {"input": {"customerId": customer}}
        if name == "GetActiveSubscriptions":
            return {"input": {"subscriptionId": subscription}}
        if name == "EstimateSubscription":
            return {
                "input": {
                    "customerId": customer,
                    "billingPeriod": "MONTHLY",
                    "planId": "plan-revvenu-essentials",
                    "billableFeatures": [
                        {"featureId": "feature-01-templates", "quantity": rng.randint(1, 5)}
                    ],
                    "addons": [{"addonId": "addon-10-campaigns", "quantity": 2}],
                }
            }
        return {
            "input": {
                "subscriptionId": subscription,
                "billableFeatures": [
                    {"featureId": "feature-01-templates", "quantity": rng.randint(3, 9)}
                ],
                "addons": [{"addonId": "addon-10-campaigns", "quantity": 2}],
            }
        }

    found = {
        "ceiling": [load.post_json("/graphql", {"query": "{ __typename }"}, headers)],
        "bare": [load.post_json("/graphql", {"query": "{ __typename }"})],
    }
    for name in GOALS:
        found[name] = [graphql(name, variables(name)) for _ in range(VARIANTS)]
    return found


def report(args: argparse.Namespace, database: str, found: dict[str, Row]) -> None:
    print(
        f"\nbilling-sync serve (one API process) on {database}, {args.customers} customers, "
        f"16 keep-alive connections, {args.seconds:g} s per workload in {args.rounds} rounds"
    )
    print(
        f"{'workload':<28} {'to bare':>7} {'(range)':>11} {'to own':>6} {'req/s':>7} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'server':>6} {'failed':>6}  goal"
    )
    for name, row in found.items():
        ratios = to_bare(found, name)
        ratio, p99 = statistics.median(ratios), row.result.percentile(0.99)
        goal = ""
        if name in GOALS:
            lowest = GOALS[name][1]
            goal = (
                f">= {lowest:.2f} {'met' if ratio >= lowest else 'MISSED'}; p99 <= "
                f"{GOAL_P99 * 1000:.0f} ms {'met' if p99 <= GOAL_P99 else 'MISSED'}"
            )
        print(
            f"{LABELS[name]:<28} {ratio:7.2f} {min(ratios):5.2f}-{max(ratios):<5.2f}"
            f" {row.ratio:6.2f} {figures(row)}  {goal}".rstrip()
        )
    print(
        "to bare: the median ratio to the bare stack's { __typename } over the rounds "
        "(lowest-highest); to own: to billing-sync's own { __typename }"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    load.add_options(parser)
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--database-url", help="PostgreSQL to run on (its schema is reset)")
    parser.add_argument(
        "--only", action="append", choices=list(GOALS), help="measure this workload (repeatable)"
    )
    args = parser.parse_args()
    chosen = [name for name in LABELS if name not in GOALS or name in (args.only or GOALS)]
    extra, database = chosen_database(args.database_url)
    bare_port = free_port()
    with running(**extra) as service, bare_stack(bare_port) as bare_pid:
        started = time.monotonic()
        made = provision(service, args.customers)
        print(f"provisioned {len(made)} subscriptions in {time.monotonic() - started:.1f} s")
        requests = workloads(service, made)
        seconds = args.seconds / args.rounds
        bare = (bare_port, bare_pid)
        rounds = []
        for number in range(args.rounds):
            warmup = args.warmup if number == 0 else 0.5
            rounds.append(
                {
                    name: measure(service, name, requests[name], seconds, warmup, args, bare)
                    for name in chosen
                }
            )
        closing = measure(service, "ceiling", requests["ceiling"], seconds, 0.5, args)
        report(args, database, rows(rounds, closing))


if __name__ == "__main__":
    main()
