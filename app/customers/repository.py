from __future__ import annotations

from sqlmodel import Session, select

from app.models import Customer


def find(session: Session, environment_id: str, customer_id: str) -> Customer | None:
    """The customer with that id, archived or not."""
    query = select(Customer).where(
        Customer.environment_id == environment_id, Customer.customer_id == customer_id
    )
    return session.exec(query).first()


def find_for_update(session: Session, environment_id: str, customer_id: str) -> Customer | None:
    query = (
        select(Customer)
        .where(Customer.environment_id == environment_id, Customer.customer_id == customer_id)
        .with_for_update()
    )
    return session.exec(query).first()
