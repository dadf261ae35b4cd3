"""Receipt to reconciled: how long a Stripe event takes from its delivery to the state
it reports being stored.

Starts the Stripe test server and one ``billing-sync serve`` (SQLite, in-process worker,
STRIPE_API_BASE pointing at the test server, a webhook signing secret), provisions
``--subscriptions`` paid customers with a card (their subscriptions active in Stripe),
then posts signed ``customer.subscription.updated`` events for them at ``--rate`` a second
for ``--seconds``, as Stripe sends them after a change. Processing an event re-reads its
subscription from Stripe and stores what it says; that read also answers the events about
the subscription stored before it began. The worker's CPU and the Stripe rate limit in
force (``--stripe-rate-limit``, Stripe's live-mode 100/s by default; the test server
answers 429 past it, as Stripe does) bound how many subscriptions are read a second, so
with many subscriptions (``--subscriptions 200`` at 200/s) each waits for its turn.
Prints the time from each event's receipt to its processing (both stored with it), p50,
p99 and the longest, and how long the last one waited.
Goal (issue: hot paths): p99 <= 1 s at 200 events/s.

    .venv/bin/python bench/reconciled.py [--rate 200] [--seconds 5] [--subscriptions 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func
from sqlmodel import Session, col, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.models import Subscription, WebhookEvent  # noqa: E402
from bench.service import running  # noqa: E402
from bench.stripe_provisioning import drive  # noqa: E402
from bench.webhooks import signed_event  # noqa: E402
from tests.stripe_server.server import StripeTestServer  # noqa: E402

SECRET = "whsec_bench_reconciled"
GOAL_P99 = 1.0
GOAL_RATE = 200


def signed(number: int, billing_id: str) -> tuple[bytes, dict[str, str]]:
    """One ``customer.subscription.updated`` delivery for ``billing_id``, as Stripe signs it."""
    stamp = int(time.time())
    body, signature = signed_event(
        f"evt_reconciled_{stamp}_{number:07d}",
        "customer.subscription.updated",
        {"id": billing_id, "object": "subscription"},
        stamp,
        SECRET,
    )
    return body, {"Content-Type": "application/json", "Stripe-Signature": signature}


def post_at_rate(url: str, billing_ids: list[str], rate: float, seconds: float) -> int:
    """Deliveries spread evenly over ``seconds``, from a few threads; how many were sent.
    A delivery answered with anything but 200 stops the run."""
    total = int(rate * seconds)
    started = time.monotonic()
    numbers = iter(range(total))
    lock = threading.Lock()
    failures: list[str] = []

    def sender() -> None:
        with httpx.Client(timeout=30) as client:
            while True:
                with lock:
                    number = next(numbers, None)
                if number is None or failures:
                    return
                due = started + number / rate
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                body, headers = signed(number, billing_ids[number % len(billing_ids)])
                answer = client.post(url, content=body, headers=headers)
                if answer.status_code != 200:
                    failures.append(f"{answer.status_code} {answer.text[:200]}")

    threads = [threading.Thread(target=sender) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        sys.exit(f"a delivery was refused: {failures[0]}")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=GOAL_RATE, help="deliveries a second")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--subscriptions", type=int, default=20)
    parser.add_argument("--stripe-rate-limit", type=int, default=100)
    parser.add_argument("--drain-seconds", type=float, default=300.0)
    args = parser.parse_args()
    with StripeTestServer() as stripe_server:
        stripe_server.api.rate_limit = args.stripe_rate_limit
        settings = {
            "STRIPE_API_KEY": "sk_test_bench",
            "STRIPE_API_BASE": stripe_server.url,
            "STRIPE_RATE_LIMIT": str(args.stripe_rate_limit),
            "STRIPE_WEBHOOK_SECRET": SECRET,
            "WORKER_THREADS": "8",
        }
        with running(**settings) as service:
            asyncio.run(drive(service.graphql, service.key, args.subscriptions, 8))
            engine = create_engine(service.database_url)
            with Session(engine) as session:
                billing_ids = [
                    str(found)
                    for found in session.exec(
                        select(Subscription.billing_id).where(
                            col(Subscription.billing_id).is_not(None)
                        )
                    )
                ]
                already = session.exec(select(func.count()).select_from(WebhookEvent)).one()
            if len(billing_ids) != args.subscriptions:
                sys.exit(f"{len(billing_ids)} subscriptions in Stripe, not {args.subscriptions}")
            sent = post_at_rate(
                f"{service.base}/webhooks/stripe", billing_ids, args.rate, args.seconds
            )
            posted = time.monotonic()
            deadline = posted + args.drain_seconds
            mine = col(WebhookEvent.stripe_event_id).startswith("evt_reconciled_")
            while True:
                with Session(engine) as session:
                    waiting = session.exec(
                        select(func.count())
                        .select_from(WebhookEvent)
                        .where(mine, col(WebhookEvent.processed_at).is_(None))
                    ).one()
                if waiting == 0 or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            drained = time.monotonic() - posted
            with Session(engine) as session:
                rows = session.exec(
                    select(
                        WebhookEvent.received_at, WebhookEvent.processed_at, WebhookEvent.state
                    ).where(mine)
                ).all()
            engine.dispose()
    waits = sorted(
        (done - received) / timedelta(seconds=1) for received, done, _ in rows if done is not None
    )
    states: dict[str, int] = {}
    for *_, state in rows:
        states[state] = states.get(state, 0) + 1
    print(
        f"\nreceipt to reconciled: one billing-sync serve (SQLite, in-process worker, 8 "
        f"threads), Stripe test server at {args.stripe_rate_limit} requests/s; "
        f"{args.subscriptions} active subscriptions, {sent} customer.subscription.updated "
        f"deliveries at {args.rate:g}/s for {args.seconds:g} s ({already} events stored before)"
    )
    if not waits:
        sys.exit("no event was processed")
    p99 = waits[min(len(waits) - 1, int(len(waits) * 0.99))]
    print(
        f"processed {len(waits)} of {len(rows)} stored ({states}); the last {drained:.1f} s "
        f"after the last delivery"
    )
    print(
        f"receipt to processed: p50 {statistics.median(waits) * 1000:.0f} ms, p99 "
        f"{p99 * 1000:.0f} ms, longest {waits[-1] * 1000:.0f} ms (goal p99 <= "
        f"{GOAL_P99 * 1000:.0f} ms at {GOAL_RATE}/s: "
        f"{'met' if p99 <= GOAL_P99 and args.rate >= GOAL_RATE else 'MISSED'})"
    )
    if len(waits) != len(rows) or len(rows) != sent:
        sys.exit("an event was not stored or not processed in time")


if __name__ == "__main__":
    main()
