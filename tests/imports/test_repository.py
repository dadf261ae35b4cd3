"""The import's lookups of many ids at once (an array parameter on PostgreSQL, an IN
list on SQLite) and the customer facts its checks and chunks read instead of ORM rows."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from app.imports import repository
from app.models import Customer, Environment


def _customer(environment: Environment, customer_id: str, **fields: object) -> Customer:
    return Customer(environment_id=environment.id, customer_id=customer_id, **fields)


def test_customer_facts_are_the_stored_customers_columns(
    session: Session, environment: Environment
) -> None:
    archived = datetime(2026, 1, 2, tzinfo=UTC)
    stored = [
        _customer(environment, "plain"),
        _customer(environment, "card", has_payment_method=True, billing_id="cus_1"),
        # A card on its way to Stripe counts as one on file.
        _customer(environment, "card-pending", payment_method_generation=3),
        _customer(environment, "archived", archived_at=archived),
    ]
    session.add_all(stored)
    session.commit()

    facts = repository.customer_facts_by_ref(
        session, environment.id, {"plain", "card", "card-pending", "archived", "unknown"}
    )

    assert facts == {
        c.customer_id: repository.CustomerFacts(
            c.id,
            c.customer_id,
            c.billing_id,
            c.has_payment_method or c.payment_method_pending,
            c.archived_at,
        )
        for c in stored
    }
    assert [facts[ref].has_card for ref in ("plain", "card", "card-pending")] == [
        False,
        True,
        True,
    ]


def test_a_lookup_of_many_ids_finds_each_of_them_in_its_environment_only(
    session: Session, environment: Environment, other_environment: Environment
) -> None:
    session.add_all(_customer(environment, f"c-{i}") for i in range(1200))
    session.add(_customer(other_environment, "c-0"))
    session.commit()
    wanted = {f"c-{i}" for i in range(0, 1200, 2)} | {"missing"}

    found = repository.customers_by_ref(session, environment.id, wanted)

    assert set(found) == wanted - {"missing"}
    assert {c.environment_id for c in found.values()} == {environment.id}
    assert repository.customer_facts_by_ref(session, environment.id, set()) == {}
