"""Queries of the import tasks and of the rows an import touches, many at once.

A chunk looks up hundreds of ids at a time. On PostgreSQL they travel as one array
parameter (``= ANY(:ids)``): as an ``IN`` list each id is a placeholder of its own, which
SQLAlchemy renders and psycopg parses back on the client for every statement (the
statement is too long for psycopg's cache), and that took longer than the lookup took
the database.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import String, any_, bindparam, text
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, func, select

from app.models import Customer, FeatureUsage, ImportChunk, ImportTask, Subscription


def one_of(session: Session, column: Any, values: Collection[str]) -> ColumnElement[bool]:
    """``column IN values``, as one array parameter on PostgreSQL."""
    ordered = sorted(values)
    if session.get_bind().dialect.name != "postgresql":
        return col(column).in_(ordered)
    return column == any_(bindparam(None, ordered, type_=ARRAY(String())))  # type: ignore[no-any-return]


class CustomerFacts(NamedTuple):
    """What the checks and chunks of subscriptions and usage read of a customer: its
    columns, not an ORM row (building a thousand of those cost more than the query; a
    tuple is also built faster than a frozen dataclass)."""

    id: str
    customer_id: str
    billing_id: str | None
    # A card on file, or one on its way to Stripe (paid subscriptions wait for it).
    has_card: bool
    archived_at: datetime | None


def customers_by_ref(
    session: Session, environment_id: str, customer_ids: Collection[str]
) -> dict[str, Customer]:
    """The environment's customers among ``customer_ids`` (archived ones too), by id."""
    if not customer_ids:
        return {}
    query = select(Customer).where(
        Customer.environment_id == environment_id,
        one_of(session, Customer.customer_id, customer_ids),
    )
    return {row.customer_id: row for row in session.exec(query)}


def customer_facts_by_ref(
    session: Session, environment_id: str, customer_ids: Collection[str]
) -> dict[str, CustomerFacts]:
    """``customers_by_ref``, as the facts a subscription or usage row needs."""
    if not customer_ids:
        return {}
    query = sa_select(
        col(Customer.id),
        col(Customer.customer_id),
        col(Customer.billing_id),
        col(Customer.has_payment_method) | col(Customer.payment_method_generation).is_not(None),
        col(Customer.archived_at),
    ).where(
        col(Customer.environment_id) == environment_id,
        one_of(session, Customer.customer_id, customer_ids),
    )
    return {
        ref: CustomerFacts(pk, ref, billing_id, bool(has_card), archived_at)
        for pk, ref, billing_id, has_card, archived_at in session.execute(query)
    }


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
    query = select(Customer).where(one_of(session, Customer.billing_id, billing_ids))
    return {row.billing_id: row for row in session.exec(query) if row.billing_id}


def subscriptions_linked_to(
    session: Session, billing_ids: Collection[str]
) -> dict[str, Subscription]:
    """The subscriptions, of any environment, linked to these Stripe subscriptions."""
    if not billing_ids:
        return {}
    query = select(Subscription).where(one_of(session, Subscription.billing_id, billing_ids))
    return {row.billing_id: row for row in session.exec(query) if row.billing_id}


def subscriptions_of(
    session: Session, customer_pks: Collection[str], statuses: Collection[str]
) -> list[Subscription]:
    if not customer_pks:
        return []
    query = select(Subscription).where(
        one_of(session, Subscription.customer_id, customer_pks),
        one_of(session, Subscription.status, statuses),
    )
    return list(session.exec(query))


def subscriptions_by_ref(
    session: Session, environment_id: str, ref_ids: Collection[str]
) -> dict[str, Subscription]:
    if not ref_ids:
        return {}
    query = select(Subscription).where(
        Subscription.environment_id == environment_id,
        one_of(session, Subscription.ref_id, ref_ids),
    )
    return {row.ref_id: row for row in session.exec(query)}


def usage_of(
    session: Session, customer_pks: Collection[str], feature_ids: Collection[str]
) -> dict[tuple[str, str, str], FeatureUsage]:
    """The stored usage of these customers' features, by (customer row id, resource id,
    feature row id)."""
    if not customer_pks or not feature_ids:
        return {}
    query = select(FeatureUsage).where(
        one_of(session, FeatureUsage.customer_id, customer_pks),
        one_of(session, FeatureUsage.feature_id, feature_ids),
    )
    return {(u.customer_id, u.resource_id, u.feature_id): u for u in session.exec(query)}


def resources_of(session: Session, customer_pks: Collection[str]) -> set[tuple[str, str]]:
    """(customer row id, resource id) of every resource the customers have held."""
    if not customer_pks:
        return set()
    query = (
        select(Subscription.customer_id, Subscription.resource_id)
        .where(
            one_of(session, Subscription.customer_id, customer_pks),
            col(Subscription.resource_id).is_not(None),
        )
        .distinct()
    )
    return {(customer, resource) for customer, resource in session.exec(query) if resource}


def task(session: Session, environment_id: str, import_id: str) -> ImportTask | None:
    found = session.get(ImportTask, import_id)
    return found if found is not None and found.environment_id == environment_id else None


def task_of_pending_chunk(session: Session, chunk_id: str) -> ImportTask | None:
    """The import of the chunk, unless the chunk is done (its rows are not read)."""
    query = (
        select(ImportTask)
        .join(ImportChunk, col(ImportChunk.import_id) == ImportTask.id)
        .where(ImportChunk.id == chunk_id, col(ImportChunk.done).is_(False))
    )
    return session.exec(query).first()


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
