from __future__ import annotations

from sqlalchemy import bindparam
from sqlmodel import Session, select

from app.models import Customer

# Built once: building a statement costs as much as running it on the hot reads.
_BY_ID = select(Customer).where(
    Customer.environment_id == bindparam("environment_id"),
    Customer.customer_id == bindparam("customer_id"),
)


def find(session: Session, environment_id: str, customer_id: str) -> Customer | None:
    """The customer with that id, archived or not."""
    params = {"environment_id": environment_id, "customer_id": customer_id}
    return session.exec(_BY_ID, params=params).first()


def find_for_update(session: Session, environment_id: str, customer_id: str) -> Customer | None:
    query = (
        select(Customer)
        .where(Customer.environment_id == environment_id, Customer.customer_id == customer_id)
        .with_for_update()
    )
    return session.exec(query).first()


def lock_customer(session: Session, customer_pk: str) -> Customer | None:
    """Lock the customer's row: the first lock of every transaction that writes for one
    customer, so concurrent writers queue in one order instead of deadlocking."""
    query = select(Customer).where(Customer.id == customer_pk).with_for_update()
    return session.exec(query).first()


def holder_of_billing_id(session: Session, billing_id: str) -> Customer | None:
    """The customer, of any environment, linked to this Stripe customer."""
    return session.exec(select(Customer).where(Customer.billing_id == billing_id)).first()
