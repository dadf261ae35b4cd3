"""provisionCustomer without Stripe, as a ratio to the framework's ceiling.

Each request creates a customer of its own (a customer id never sent before), with a
name and an email, selecting what ``bench/graphql_customers.py`` selects, against
``billing-sync serve`` on the embedded default. Measured as ``bench/reads.py``
measures: 16 keep-alive connections from the lean load generator, slices interleaved
with two ceilings in rounds, each slice divided by the ceilings around it. Every slice
sends fresh ids, so no slice re-provisions (an update is cheaper than a creation): a
slice that runs out of fresh ids is reported.

The goal: three times the 210 req/s measured when the goal was set, with the bare
stack's ``{ __typename }`` at about 2,000 req/s, so at least 0.32 of the bare stack.

    .venv/bin/python bench/provisioning.py [--seconds 10] [--rounds 5]
        [--database-url postgresql://postgres@127.0.0.1:5432/bench]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load  # noqa: E402
from bench.entitlements import Row, figures, measure, rows, to_bare  # noqa: E402
from bench.service import database as chosen_database  # noqa: E402
from bench.service import free_port, running  # noqa: E402
from bench.stack_ceiling import bare_stack  # noqa: E402

PROVISION = (
    "mutation($input: ProvisionCustomerInput!) { provisionCustomer(input: $input) "
    "{ customer { customerId } subscriptionDecisionStrategy } }"
)
GOAL_TO_BARE = 3 * 210 / 2000
LABELS = {
    "ceiling": "ceiling { __typename }",
    "bare": "bare stack { __typename }",
    "provisionCustomer": "provisionCustomer (new ids)",
}


def fresh(headers: dict[str, str], slices: itertools.count[int], count: int) -> list[bytes]:
    """``count`` provisions of customers no earlier slice named."""
    number = next(slices)
    return [
        load.post_json(
            "/graphql",
            {
                "query": PROVISION,
                "variables": {
                    "input": {
                        "customerId": f"prov-{number}-{i}",
                        "name": f"Customer {i}",
                        "email": f"c{i}.{number}@example.com",
                    }
                },
            },
            headers,
        )
        for i in range(count)
    ]


def report(args: argparse.Namespace, database: str, found: dict[str, Row], short: int) -> None:
    print(
        f"\nbilling-sync serve (one API process) on {database}, 16 keep-alive connections, "
        f"{args.seconds:g} s per workload in {args.rounds} rounds"
    )
    print(
        f"{'workload':<28} {'to bare':>7} {'(range)':>11} {'req/s':>7} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'server':>6} {'failed':>6}  goal"
    )
    for name, row in found.items():
        ratios = to_bare(found, name)
        ratio = statistics.median(ratios)
        goal = ""
        if name == "provisionCustomer":
            goal = f">= {GOAL_TO_BARE:.2f} {'met' if ratio >= GOAL_TO_BARE else 'MISSED'}"
        print(
            f"{LABELS[name]:<28} {ratio:7.2f} {min(ratios):5.2f}-{max(ratios):<5.2f}"
            f" {figures(row)}  {goal}".rstrip()
        )
    print("to bare: the median ratio to the bare stack's { __typename } over the rounds")
    if short:
        print(f"WARNING: {short} slice(s) ran out of fresh ids and re-provisioned customers")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    load.add_options(parser)
    parser.add_argument("--database-url", help="PostgreSQL to run on (its schema is reset)")
    args = parser.parse_args()
    extra, database = chosen_database(args.database_url)
    bare_port = free_port()
    with running(**extra) as service, bare_stack(bare_port) as bare_pid:
        headers = {"X-API-KEY": service.key}
        ceiling = [load.post_json("/graphql", {"query": "{ __typename }"}, headers)]
        plain = [load.post_json("/graphql", {"query": "{ __typename }"})]
        seconds = args.seconds / args.rounds
        # Far more ids than a slice can send at the speeds seen here (a few hundred a
        # second), and a warm-up of its own ids before the first slice.
        per_slice = max(5000, int(3000 * seconds))
        slices = itertools.count()
        warming = fresh(headers, slices, per_slice)
        measure(service, "provisionCustomer", warming, args.warmup, 0, args)
        bare = (bare_port, bare_pid)
        rounds: list[dict[str, Any]] = []
        short = 0
        for number in range(args.rounds):
            warmup = args.warmup if number == 0 else 0.5
            found = {
                "ceiling": measure(service, "ceiling", ceiling, seconds, warmup, args, bare),
                "bare": measure(service, "bare", plain, seconds, warmup, args, bare),
                # No warm-up: it would send the slice's first ids, then the slice again.
                "provisionCustomer": measure(
                    service,
                    "provisionCustomer",
                    fresh(headers, slices, per_slice),
                    seconds,
                    0,
                    args,
                ),
            }
            short += found["provisionCustomer"].completed > per_slice
            rounds.append(found)
        closing = measure(service, "ceiling", ceiling, seconds, 0.5, args)
        report(args, database, rows(rounds, closing), short)


if __name__ == "__main__":
    main()
