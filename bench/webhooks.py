"""Webhook intake: signed Stripe events accepted and stored per second by one API process.

Starts one ``billing-sync serve`` on PostgreSQL (its ``public`` schema is reset: give it
a database of its own) with Redis as the broker and no worker running, so what is
measured is the intake alone: verify the signature, store the event once, queue its
processing. 16 keep-alive connections post distinct, validly signed ``invoice.paid``
events; afterwards every accepted event must be stored exactly once and queued. The bare
stack (FastAPI + Strawberry, ``{ __typename }``) is measured in the same run beside it.
Goals (issue: hot paths): >= 2,000 events/s accepted, p99 <= 50 ms.

    .venv/bin/python bench/webhooks.py [--seconds 8] [--rounds 2]
        [--database-url postgresql://postgres@127.0.0.1:5432/bench_webhooks]
        [--redis-url redis://127.0.0.1:6379/7]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import statistics
import sys
import time
from pathlib import Path

import redis
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load  # noqa: E402
from bench.service import free_port, reset_postgresql, running  # noqa: E402
from bench.stack_ceiling import bare_stack  # noqa: E402

SECRET = "whsec_bench_intake"
GOAL_RATE = 2000.0
GOAL_P99 = 0.050


def signed_event(
    event_id: str, kind: str, data: dict[str, str], stamp: int, secret: str = SECRET
) -> tuple[bytes, str]:
    """A Stripe event's body and its ``Stripe-Signature`` header, as Stripe signs them."""
    event = {
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": stamp,
        "api_version": "2026-10-28.endive",
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "data": {"object": data},
    }
    body = json.dumps(event, separators=(",", ":")).encode()
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
    return body, f"t={stamp},v1={mac.hexdigest()}"


def delivery(number: int, run: str, stamp: int) -> bytes:
    """One signed ``invoice.paid`` delivery, as Stripe sends it."""
    invoice = {"id": f"in_bench_{run}_{number:07d}", "object": "invoice"}
    body, signature = signed_event(f"evt_bench_{run}_{number:07d}", "invoice.paid", invoice, stamp)
    head = "\r\n".join(
        [
            "POST /webhooks/stripe HTTP/1.1",
            "Host: bench",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
            f"Stripe-Signature: {signature}",
        ]
    )
    return f"{head}\r\n\r\n".encode() + body


def stored(database_url: str) -> tuple[int, int]:
    """(events stored, distinct event ids stored)."""
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT count(*), count(DISTINCT stripe_event_id) FROM webhook_event")
            ).one()
            return int(row[0]), int(row[1])
    finally:
        engine.dispose()


def queued_events(broker: redis.Redis) -> int:
    """Events whose processing is queued: a batch's message names each of its events."""
    count = 0
    for body in broker.hvals("dramatiq:default.msgs"):
        kwargs = json.loads(body)["kwargs"]
        count += len(kwargs["event_ids"]) if "event_ids" in kwargs else 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="per workload, in all")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--events", type=int, default=60_000, help="distinct deliveries made")
    parser.add_argument(
        "--database-url", default="postgresql://postgres@127.0.0.1:5432/bench_webhooks"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/7")
    args = parser.parse_args()

    admin = create_engine(
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT"
    )
    name = args.database_url.rsplit("/", 1)[1]
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).first()
        if exists is None:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    reset_postgresql(args.database_url)
    broker = redis.Redis.from_url(args.redis_url)
    broker.flushdb()

    run = f"{int(time.time()) % 100000:05d}"
    stamp = int(time.time())
    deliveries = [delivery(n, run, stamp) for n in range(args.events)]
    seconds = args.seconds / args.rounds
    extra = {
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "STRIPE_WEBHOOK_SECRET": SECRET,
    }
    bare_port = free_port()
    intake: list[load.Result] = []
    bare: list[load.Result] = []
    try:
        with running(**extra) as service, bare_stack(bare_port) as bare_pid:
            trivial = [load.post_json("/graphql", {"query": "{ __typename }"})]
            offset = 0
            for number in range(args.rounds):
                warmup = 1.0 if number == 0 else 0.3
                bare.append(
                    load.run(
                        "127.0.0.1", bare_port, trivial, seconds=seconds, warmup=warmup,
                        connections=args.connections, server_pid=bare_pid,
                    )
                )  # fmt: skip
                # Each round posts deliveries no earlier round sent.
                result = load.run(
                    "127.0.0.1", service.port, deliveries[offset:], seconds=seconds,
                    warmup=warmup, connections=args.connections, check_body=False,
                    server_pid=service.pid,
                )  # fmt: skip
                intake.append(result)
                offset += int(result.completed * (seconds + warmup) / seconds) + 1000
                if offset >= len(deliveries):
                    sys.exit(f"--events {args.events} is too few for this rate: raise it")
            count, distinct = stored(args.database_url)
            queued = queued_events(broker)
    finally:
        broker.flushdb()

    rate = statistics.median(r.rate for r in intake)
    p99 = statistics.median(r.percentile(0.99) for r in intake)
    ratio = statistics.median(a.rate / b.rate for a, b in zip(intake, bare, strict=True))
    failed = sum(r.failed for r in intake)
    print(
        f"\nwebhook intake: one billing-sync serve on PostgreSQL, Redis broker, no worker; "
        f"{args.connections} connections, {seconds:g} s x {args.rounds} rounds"
    )
    print(f"{'workload':<26} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'server':>6} {'failed':>6}")
    for label, results in (("bare stack { __typename }", bare), ("signed invoice.paid", intake)):
        for r in results:
            print(
                f"{label:<26} {r.rate:8.0f} {r.percentile(0.5) * 1000:7.2f}"
                f" {r.percentile(0.99) * 1000:7.2f} {r.server_cpu / r.seconds:6.0%} {r.failed:6d}"
            )
    print(
        f"stored {count} events ({distinct} distinct), {queued} processing jobs queued; "
        f"failed requests {failed}"
    )
    print(
        f"intake {rate:,.0f} events/s (goal >= {GOAL_RATE:,.0f}: "
        f"{'met' if rate >= GOAL_RATE else 'MISSED'}), p99 {p99 * 1000:.1f} ms (goal <= "
        f"{GOAL_P99 * 1000:.0f} ms: {'met' if p99 <= GOAL_P99 else 'MISSED'}); "
        f"{ratio:.2f} of the bare stack's requests/s"
    )
    if count != distinct or failed:
        sys.exit("an event was stored twice or a delivery failed")
    if queued != count:
        sys.exit(f"{count} events stored but {queued} queued for processing")


if __name__ == "__main__":
    main()
