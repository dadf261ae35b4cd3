"""Queries of the import tasks and of the rows an import touches, many at once."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import text
from sqlmodel import Session, col, func, select

from app.models import Customer, ImportChunk, ImportTask, Subscription


def customers_by_ref(
    session: Session, environment_id: str, customer_ids: Collection[str]
) -> dict[str, Customer]:
    """The environment's customers among ``customer_ids`` (archived ones too), by id."""
    if not customer_ids:
        return {}
    query = select(Customer).where(
        Customer.environment_id == environment_id,
        col(Customer.customer_id).in_(sorted(customer_ids)),
    )
    return {row.customer_id: row for row in session.exec(query)}


def lock_billing_ids(session: Session, billing_ids: Collection[str]) -> None:
    """Serialize the transactions that link these Stripe ids (until they end), so two
    imports cannot link one Stripe object to two customers. SQLite has one writer at a
    time already."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for billing_id in sorted(billing_ids):
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))"),
            {"name": f"billing-sync:billing-id:{billing_id}"},
        )


def holders_of_billing_ids(session: Session, billing_ids: Collection[str]) -> dict[str, Customer]:
    """The customers, of any environment, linked to these Stripe customers."""
    if not billing_ids:
        return {}
    query = select(Customer).where(col(Customer.billing_id).in_(sorted(billing_ids)))
    return {row.billing_id: row for row in session.exec(query) if row.billing_id}


def subscriptions_linked_to(
    session: Session, billing_ids: Collection[str]
) -> dict[str, Subscription]:
    """The subscriptions, of any environment, linked to these Stripe subscriptions."""
    if not billing_ids:
        return {}
    query = select(Subscription).where(col(Subscription.billing_id).in_(sorted(billing_ids)))
    return {row.billing_id: row for row in session.exec(query) if row.billing_id}


def subscriptions_of(
    session: Session, customer_pks: Collection[str], statuses: Collection[str]
) -> list[Subscription]:
    if not customer_pks:
        return []
    query = select(Subscription).where(
        col(Subscription.customer_id).in_(sorted(customer_pks)),
        col(Subscription.status).in_(sorted(statuses)),
    )
    return list(session.exec(query))


def subscriptions_by_ref(
    session: Session, environment_id: str, ref_ids: Collection[str]
) -> dict[str, Subscription]:
    if not ref_ids:
        return {}
    query = select(Subscription).where(
        Subscription.environment_id == environment_id,
        col(Subscription.ref_id).in_(sorted(ref_ids)),
    )
    return {row.ref_id: row for row in session.exec(query)}


def resources_of(session: Session, customer_pks: Collection[str]) -> set[tuple[str, str]]:
    """(customer row id, resource id) of every resource the customers have held."""
    if not customer_pks:
        return set()
    query = (
        select(Subscription.customer_id, Subscription.resource_id)
        .where(
            col(Subscription.customer_id).in_(sorted(customer_pks)),
            col(Subscription.resource_id).is_not(None),
        )
        .distinct()
    )
    return {(customer, resource) for customer, resource in session.exec(query) if resource}


def task(session: Session, environment_id: str, import_id: str) -> ImportTask | None:
    found = session.get(ImportTask, import_id)
    return found if found is not None and found.environment_id == environment_id else None


def chunk_for_update(session: Session, chunk_id: str) -> ImportChunk | None:
    query = select(ImportChunk).where(ImportChunk.id == chunk_id).with_for_update()
    return session.exec(query).first()


def chunks_done(session: Session, import_id: str) -> int:
    query = select(func.count()).where(
        ImportChunk.import_id == import_id, col(ImportChunk.done).is_(True)
    )
    return int(session.exec(query).one())


def chunks_of(session: Session, import_id: str, *, done: bool | None = None) -> list[ImportChunk]:
    query = select(ImportChunk).where(ImportChunk.import_id == import_id)
    if done is not None:
        query = query.where(col(ImportChunk.done).is_(done))
    return list(session.exec(query.order_by(col(ImportChunk.position))))
