"""Applying a chunk of customer rows: new customers in one INSERT, changed ones updated.

A row whose fields all equal the stored customer's is unchanged (a second import of
the same file changes nothing). A changed row is skipped when the stored customer was
updated after the row's ``updatedAt``; an applied row stores that ``updatedAt`` as the
customer's (else the import's time), so a later file with newer rows still applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table
from sqlmodel import Session, col, select

from app.billing import state as billing_state
from app.customers.schemas import BillingInformation
from app.entitlements import bulk
from app.imports import checks, repository
from app.imports.outcomes import ChunkResult, Outcome
from app.imports.schemas import CustomerRow
from app.models import Customer, Environment
from app.models.base import new_id

_COLUMNS = (
    "id",
    "environment_id",
    "customer_id",
    "name",
    "email",
    "billing_id",
    "has_payment_method",
    "sync_generation",
    "synced_generation",
    "additional_metadata",
    "exclude_from_experiment",
    "entitlements_version",
    "created_at",
    "updated_at",
)
_FIELDS = (
    ("name", "name"),
    ("email", "email"),
    ("billing_id", "billingId"),
    ("additional_metadata", "additionalMetaData"),
)


def _changes(customer: Customer, row: CustomerRow) -> dict[str, Any]:
    sent = row.model_fields_set
    return {
        attr: getattr(row, key)
        for attr, key in _FIELDS
        if key in sent and getattr(customer, attr) != getattr(row, key)
    }


def _owners(
    session: Session, rows: Sequence[tuple[int, CustomerRow]], existing: dict[str, Customer]
) -> dict[str, tuple[str, str]]:
    """(environment id, customer id) of the customer each Stripe customer the rows name
    is linked to, read under locks that keep other imports from linking them meanwhile."""
    linking = {r.billingId for _, r in rows if r.billingId}
    repository.lock_billing_ids(session, linking)
    # A sync job may record a Stripe customer it made meanwhile: read them locked.
    for customer_id in sorted({r.customerId for _, r in rows if r.billingId}):
        if customer_id in existing:
            session.refresh(existing[customer_id], with_for_update=True)
    holders = repository.holders_of_billing_ids(session, linking)
    return {
        billing_id: (holder.environment_id, holder.customer_id)
        for billing_id, holder in holders.items()
    }


def _link_refused(
    environment: Environment,
    row: CustomerRow,
    customer: Customer | None,
    owners: dict[str, tuple[str, str]],
) -> str | None:
    """Why the row cannot link its Stripe customer, if it cannot: the Stripe customer is
    another customer's, or this customer is billed to another one already (its
    subscriptions and card are there)."""
    if row.billingId is None:
        if "billingId" in row.model_fields_set and customer is not None and customer.billing_id:
            return (
                f"customer {row.customerId!r} is billed to Stripe customer "
                f"{customer.billing_id!r}; billingId cannot be cleared"
            )
        return None
    if owners.get(row.billingId, (environment.id, row.customerId)) != (
        environment.id,
        row.customerId,
    ):
        return f"billingId {row.billingId!r} is linked to another customer"
    return checks.relinked(customer.billing_id if customer else None, row)


def _insert(session: Session, rows: list[dict[str, Any]]) -> set[str]:
    """Insert ``rows``; the customer ids stored (one created meanwhile is left alone)."""
    if not rows:
        return set()
    table: Table = Customer.__table__  # type: ignore[attr-defined]
    dialect = bulk.dialect_of(session)
    statement = (
        bulk.insert(dialect, table, _COLUMNS)
        .on_conflict_do_nothing(index_elements=["environment_id", "customer_id"])
        .returning(table.c.customer_id)
    )
    result = session.execute(statement, bulk.parameters(dialect, rows))
    return set(result.scalars())


def apply(
    session: Session,
    environment: Environment,
    rows: Sequence[tuple[int, CustomerRow]],
    cards: dict[int, str],
    now: datetime,
    *,
    integrated: bool,
) -> ChunkResult:
    result = ChunkResult()
    existing = repository.customers_by_ref(session, environment.id, {r.customerId for _, r in rows})
    owners = _owners(session, rows, existing) if integrated else {}
    new_rows: list[dict[str, Any]] = []
    synced: list[tuple[int, CustomerRow]] = []
    for index, row in rows:
        customer = existing.get(row.customerId)
        card = cards.get(index)
        refusal = _link_refused(environment, row, customer, owners) if integrated else None
        if refusal is not None:
            result.set(index, Outcome.FAILED, refusal)
            continue
        if row.billingId is not None:
            # A later row of this chunk naming it for another customer is refused.
            owners.setdefault(row.billingId, (environment.id, row.customerId))
        # A card is sent when the customer has none on file: the card itself is never
        # stored, so a second import cannot tell the same card from another.
        wants_card = card is not None and (
            customer is None or not (customer.has_payment_method or customer.payment_method_pending)
        )
        if customer is None:
            new_rows.append(
                {
                    "id": new_id(),
                    "environment_id": environment.id,
                    "customer_id": row.customerId,
                    "name": row.name,
                    "email": row.email,
                    "billing_id": row.billingId,
                    # Without billing integration there is no Stripe to take the card: the
                    # derived fact is all there is to keep.
                    "has_payment_method": card is not None and not integrated,
                    "sync_generation": 0,
                    "synced_generation": 0,
                    "additional_metadata": row.additionalMetaData,
                    "exclude_from_experiment": False,
                    "entitlements_version": 0,
                    "created_at": now,
                    "updated_at": row.updatedAt or now,
                }
            )
            result.set(index, Outcome.CREATED)
            if integrated and (card is not None or row.billingId is not None):
                synced.append((index, row))
            continue
        if customer.archived_at is not None:
            result.set(index, Outcome.FAILED, "the customer was archived meanwhile")
            continue
        changes = _changes(customer, row)
        if not changes and not wants_card:
            result.set(index, Outcome.UNCHANGED)
            continue
        if row.updatedAt is not None and customer.updated_at > row.updatedAt:
            result.set(
                index,
                Outcome.SKIPPED,
                f"the stored customer was updated at {customer.updated_at.isoformat()}, "
                "after the row's updatedAt",
            )
            continue
        if wants_card and not integrated:
            customer.has_payment_method = True
        for attr, value in changes.items():
            setattr(customer, attr, value)
        if changes:
            customer.updated_at = row.updatedAt or now
        session.add(customer)
        result.set(index, Outcome.UPDATED)
        if integrated:
            synced.append((index, row))
    stored = _insert(session, new_rows)
    for index, row in rows:
        if result.outcomes[index][0] is Outcome.CREATED:
            if row.customerId in stored:
                result.changes.add(("ref", f"{environment.id}:{row.customerId}"))
            else:
                result.set(index, Outcome.FAILED, "created by another call meanwhile; import again")
    session.flush()
    _request_sync(session, environment, synced, cards, result)
    return result


def _request_sync(
    session: Session,
    environment: Environment,
    rows: list[tuple[int, CustomerRow]],
    cards: dict[int, str],
    result: ChunkResult,
) -> None:
    """Queue the Stripe side of the customers that have one: a linked Stripe customer is
    brought up to date, a card attached and made the default."""
    rows = [(i, r) for i, r in rows if result.outcomes[i][0] in (Outcome.CREATED, Outcome.UPDATED)]
    if not rows:
        return
    query = select(Customer).where(
        Customer.environment_id == environment.id,
        col(Customer.customer_id).in_(sorted(r.customerId for _, r in rows)),
    )
    by_ref = {c.customer_id: c for c in session.exec(query)}
    for index, row in rows:
        customer = by_ref[row.customerId]
        card = cards.get(index)
        send_card = card is not None and not (
            customer.has_payment_method or customer.payment_method_pending
        )
        info = BillingInformation(paymentMethodId=card) if send_card else None
        billing_state.request_customer_sync(session, customer, info)
