"""Customer lookups by primary key."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from app.customers import repository
from app.models import Customer, Environment
from tests.conftest import statements


def test_a_customer_by_primary_key_is_read_once_per_session(
    engine: Engine, session: Session, environment: Environment
) -> None:
    row = Customer(environment_id=environment.id, customer_id="c-1", name="Acme")
    session.add(row)
    session.commit()

    with Session(engine) as other, statements(engine) as seen:
        first = repository.by_pk(other, row.id)
        again = repository.by_pk(other, row.id)
        missing = repository.by_pk(other, "no-such-customer")

    assert first is not None
    assert first.name == "Acme"
    assert again is first
    assert missing is None
    assert len([s for s in seen if s.lstrip().upper().startswith("SELECT")]) == 2
