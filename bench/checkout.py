"""The checkout redirect: what billing-sync adds to the Stripe calls of a paid provision.

A backend calls provisionSubscriptionV2 for a paid plan while its user waits for the
checkout URL. Against the Stripe test server (in this process) and one idle
``billing-sync serve`` on the embedded default (SQLite, in-process worker), each of
``--calls`` customers without a card is provisioned and then subscribed to a paid
plan, one call at a time: the answer carries a checkout URL. Every Stripe request is
timed from where the server parses its request line until its answer is written;
billing-sync's own time is the call's latency less the Stripe time inside it.
Goal (issue: hot paths): billing-sync's own time p50 <= 20 ms.

    .venv/bin/python bench/checkout.py [--calls 40]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.service import running  # noqa: E402
from tests.stripe_server import server as stripe_server_module  # noqa: E402
from tests.stripe_server.server import StripeTestServer  # noqa: E402

GOAL_OWN_P50 = 0.020
CUSTOMER = (
    "mutation($input: ProvisionCustomerInput!) { provisionCustomer(input: $input) "
    "{ customer { customerId } } }"
)
SUBSCRIBE = (
    "mutation($input: ProvisionSubscriptionInput!) { provisionSubscriptionV2(input: $input) "
    "{ status checkoutUrl } }"
)

# (start, end) of every Stripe API request the test server answered.
_stripe_calls: list[tuple[float, float]] = []
_calls_lock = threading.Lock()


def _timed_parse(original: Any) -> Any:
    """The request's start: its line is read, its line and headers not yet parsed."""

    def parse_request(handler: Any) -> bool:
        handler.bench_started = time.perf_counter()
        return bool(original(handler))

    return parse_request


def _timed_dispatch(original: Any) -> Any:
    def dispatch(handler: Any, method: str) -> None:
        try:
            original(handler, method)
        finally:
            if handler.path.startswith("/v1/"):
                with _calls_lock:
                    _stripe_calls.append((handler.bench_started, time.perf_counter()))

    return dispatch


def stripe_time(start: float, end: float) -> float:
    with _calls_lock:
        return sum(b - a for a, b in _stripe_calls if a >= start and b <= end)


def graphql(client: httpx.Client, url: str, query: str, variables: dict[str, Any]) -> Any:
    answer = client.post(url, json={"query": query, "variables": variables}).json()
    if answer.get("errors"):
        raise SystemExit(f"request failed: {answer['errors']}")
    return answer["data"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--pause", type=float, default=0.3, help="seconds between calls")
    args = parser.parse_args()
    handler = stripe_server_module._Handler
    handler.parse_request = _timed_parse(handler.parse_request)  # type: ignore[method-assign]
    handler._dispatch = _timed_dispatch(handler._dispatch)  # type: ignore[method-assign]
    latencies: list[float] = []
    own: list[float] = []
    stripe: list[float] = []
    with StripeTestServer() as stripe_server:
        settings = {"STRIPE_API_KEY": "sk_test_bench", "STRIPE_API_BASE": stripe_server.url}
        with (
            running(**settings) as service,
            httpx.Client(headers={"X-API-KEY": service.key}, timeout=60) as client,
        ):
            for number in range(args.calls + 2):
                customer = f"checkout-{number}"
                graphql(client, service.graphql, CUSTOMER, {"input": {"customerId": customer}})
                subscription = {
                    "customerId": customer,
                    "planId": "plan-revvenu-essentials",
                    "billingPeriod": "MONTHLY",
                    "billableFeatures": [{"featureId": "feature-01-templates", "quantity": 2}],
                    "skipTrial": True,
                    "checkoutOptions": {
                        "successUrl": "https://app.example.com/billing/done",
                        "cancelUrl": "https://app.example.com/billing",
                    },
                }
                # An idle service: the calls stay well under the Stripe rate limit, which
                # would otherwise space their Stripe requests out.
                time.sleep(args.pause)
                started = time.perf_counter()
                answer = graphql(client, service.graphql, SUBSCRIBE, {"input": subscription})
                ended = time.perf_counter()
                if not answer["provisionSubscriptionV2"]["checkoutUrl"]:
                    raise SystemExit(f"no checkout URL: {answer}")
                if number < 2:  # the first calls create the catalog in Stripe
                    continue
                in_stripe = stripe_time(started, ended)
                latencies.append(ended - started)
                stripe.append(in_stripe)
                own.append(ended - started - in_stripe)
    p50_own = statistics.median(own)
    print(
        f"\nprovisionSubscriptionV2 (paid plan, no card: a checkout URL), {len(latencies)} calls "
        "one at a time, idle billing-sync serve (SQLite, in-process worker), Stripe test server"
    )
    print(
        f"latency p50 {statistics.median(latencies) * 1000:.1f} ms "
        f"(max {max(latencies) * 1000:.1f}); Stripe's own time in it p50 "
        f"{statistics.median(stripe) * 1000:.1f} ms"
    )
    print(
        f"billing-sync's own time p50 {p50_own * 1000:.1f} ms, max {max(own) * 1000:.1f} ms "
        f"(goal p50 <= {GOAL_OWN_P50 * 1000:.0f} ms: "
        f"{'met' if p50_own <= GOAL_OWN_P50 else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
