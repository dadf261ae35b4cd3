"""Rows that link Stripe objects (``billingId``), checked against Stripe before their
chunk is applied.

Asking Stripe about a thousand rows would hold an import call for a minute at Stripe's
rate limit, so the mutation checks only what the database knows (a billing id linked to
another customer or subscription) and the worker asks Stripe, with no transaction open,
right before it applies the chunk. A row whose Stripe object is missing, belongs to
another customer or environment, or has ended is failed with the reason; nothing of it
is stored. The reads are repeated when a chunk is applied again, and write nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from app import clock
from app.billing import links
from app.billing.customers import stripe_owner
from app.db import in_transaction
from app.environments.service import billing_integrated
from app.imports import repository
from app.models import ImportChunk
from app.models.imports import ImportKind


@dataclass(frozen=True)
class _Links:
    environment_id: str
    kind: ImportKind
    # (row index, customerId, billingId) of each row that names a Stripe object.
    rows: tuple[tuple[int, str, str], ...]
    # The indexes of rows of subscriptions that have ended (their endDate has passed).
    ended: frozenset[int]
    # The Stripe customer each of those rows' customers is linked to (subscriptions).
    customers: dict[str, str | None]


def _read(chunk_id: str) -> _Links | None:
    def work(session: Session) -> _Links | None:
        # The chunk's rows are read only where Stripe has something to say about them.
        task = repository.task_of_pending_chunk(session, chunk_id)
        if task is None:
            return None
        kind = ImportKind(task.kind)
        if kind is ImportKind.USAGE or not billing_integrated(session, task.environment_id):
            return None
        chunk = session.get(ImportChunk, chunk_id)
        if chunk is None:
            return None
        rows = tuple(
            (int(data["index"]), str(data["customerId"]), str(data["billingId"]))
            for data in chunk.rows
            if data.get("billingId")
        )
        now = clock.now()
        ended = frozenset(
            int(data["index"])
            for data in chunk.rows
            if data.get("endDate") and datetime.fromisoformat(data["endDate"]) <= now
        )
        customers: dict[str, str | None] = {}
        if kind is ImportKind.SUBSCRIPTIONS and rows:
            found = repository.customer_facts_by_ref(
                session, task.environment_id, {customer for _, customer, _ in rows}
            )
            customers = {ref: c.billing_id for ref, c in found.items()}
        return _Links(task.environment_id, kind, rows, ended, customers)

    return in_transaction(work, write=False)


def refused(chunk_id: str) -> dict[int, str]:
    """The reason each row of the chunk that Stripe refutes is failed, by index."""
    found = _read(chunk_id)
    if found is None:
        return {}
    if found.kind is ImportKind.CUSTOMERS:
        return _customers(found)
    return _subscriptions(found)


def _customers(found: _Links) -> dict[int, str]:
    reasons: dict[int, str] = {}
    for index, customer_id, billing_id in found.rows:
        owner = stripe_owner(found.environment_id, billing_id)
        if owner is None:
            reasons[index] = (
                f"billingId {billing_id!r} is not a customer of this environment's Stripe account"
            )
        elif owner not in (("", ""), (found.environment_id, customer_id)):
            reasons[index] = f"billingId {billing_id!r} belongs to another customer or environment"
    return reasons


def _subscriptions(found: _Links) -> dict[int, str]:
    reasons: dict[int, str] = {}
    for index, customer_id, billing_id in found.rows:
        remote = links.subscription(found.environment_id, billing_id)
        owner = found.customers.get(customer_id)
        if remote is None:
            reasons[index] = (
                f"billingId {billing_id!r} is not a subscription of this environment's "
                "Stripe account"
            )
        elif owner is None:
            reasons[index] = (
                f"customer {customer_id!r} is not linked to a Stripe customer: import it "
                "with the billingId of the Stripe customer that holds the subscription"
            )
        elif remote.customer != owner:
            reasons[index] = (
                f"billingId {billing_id!r} belongs to another Stripe customer than "
                f"customer {customer_id!r}'s"
            )
        elif remote.ended and index not in found.ended:
            reasons[index] = (
                f"billingId {billing_id!r} has ended in Stripe, and the row's endDate "
                "has not passed"
            )
    return reasons
