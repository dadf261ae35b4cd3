"""Planned reads and writes that arrive together share a unit of work (a write in a
savepoint of its own)."""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session, select

from app.graphql import shared_units
from app.models import Customer, Environment

request_name: contextvars.ContextVar[str] = contextvars.ContextVar("request_name", default="")


def _customer(customer_id: str, *, fail: bool = False) -> shared_units.Work:
    def work(session: Session, environment: Environment) -> str:
        session.add(Customer(environment_id=environment.id, customer_id=customer_id))
        session.flush()
        if fail:
            raise ValueError("this write cannot be made")
        return f"{customer_id} in {request_name.get()}"

    return work


def _stored(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return sorted(session.exec(select(Customer.customer_id)))


def _deliver(environment: Environment, works: list[tuple[str, shared_units.Work]]) -> list[Any]:
    async def one(name: str, work: shared_units.Work) -> Any:
        request_name.set(name)
        return await shared_units.shared_units(write=True).run(environment, work)

    async def all_of_them() -> list[Any]:
        return await asyncio.gather(*(one(name, work) for name, work in works))

    return asyncio.run(all_of_them())


def test_writes_arriving_together_share_a_commit_each_in_its_own_context(
    engine: Engine, environment: Environment
) -> None:
    commits: list[int] = []

    def committed(_connection: Any) -> None:
        commits.append(1)

    event.listen(engine, "commit", committed)
    try:
        answers = _deliver(environment, [(f"request-{n}", _customer(f"c-{n}")) for n in range(10)])
    finally:
        event.remove(engine, "commit", committed)

    assert answers == [f"c-{n} in request-{n}" for n in range(10)]
    assert _stored(engine) == sorted(f"c-{n}" for n in range(10))
    # All ten were waiting when the transaction began: one commit for them all.
    assert len(commits) == 1


def test_a_write_that_fails_is_rolled_back_alone_and_left_to_the_full_path(
    engine: Engine, environment: Environment
) -> None:
    answers = _deliver(
        environment,
        [
            ("a", _customer("c-a")),
            ("b", _customer("c-b")),
            ("bad", _customer("c-bad", fail=True)),
            ("c", _customer("c-c")),
        ],
    )

    assert answers == ["c-a in a", "c-b in b", None, "c-c in c"]
    assert _stored(engine) == ["c-a", "c-b", "c-c"]


def test_writes_whose_transaction_cannot_commit_are_each_left_to_the_full_path(
    engine: Engine, environment: Environment, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def unreachable(*_args: Any, **_kwargs: Any) -> Any:
        raise ConnectionError("the database went away")

    monkeypatch.setattr(shared_units, "in_thread", unreachable)

    answers = _deliver(environment, [("a", _customer("c-a")), ("b", _customer("c-b"))])

    assert answers == [None, None]
    assert _stored(engine) == []


def test_a_write_whose_request_went_away_before_its_transaction_is_dropped(
    engine: Engine, environment: Environment
) -> None:
    async def deliver() -> list[Any]:
        units = shared_units.shared_units(write=True)
        first = asyncio.create_task(units.run(environment, _customer("c-first")))
        gone = asyncio.create_task(units.run(environment, _customer("c-gone")))
        kept = asyncio.create_task(units.run(environment, _customer("c-kept")))
        await asyncio.sleep(0)  # all three waiting; the first one's transaction begins
        gone.cancel()
        return await asyncio.gather(first, kept)

    assert asyncio.run(deliver()) == ["c-first in ", "c-kept in "]
    assert _stored(engine) == ["c-first", "c-kept"]


def _read(customer_id: str, *, fail: str = "") -> shared_units.Work:
    def work(session: Session, environment: Environment) -> str:
        if fail == "error":
            raise LookupError(f"no customer {customer_id}")
        if fail == "database":
            session.connection().exec_driver_sql("SELECT * FROM no_such_table")
        found = session.exec(
            select(Customer.customer_id).where(Customer.customer_id == customer_id)
        ).first()
        driver = session.connection().connection.driver_connection
        # On SQLite, each read runs inside the unit's transaction (one snapshot).
        if getattr(driver, "in_transaction", True) is False:
            return f"{found} outside a transaction"
        return f"{found} for {request_name.get()}"

    return work


def test_reads_arriving_together_share_a_unit_of_work_and_a_failed_one_is_left_alone(
    engine: Engine, environment: Environment, session: Session
) -> None:
    for customer_id in ("c-1", "c-2", "c-3"):
        session.add(Customer(environment_id=environment.id, customer_id=customer_id))
    session.commit()
    began: list[int] = []

    def begun(_connection: Any) -> None:
        began.append(1)

    async def deliver() -> list[Any]:
        units = shared_units.shared_units(write=False)

        async def one(name: str, work: shared_units.Work) -> Any:
            request_name.set(name)
            return await units.run(environment, work)

        return await asyncio.gather(
            one("a", _read("c-1")),
            one("b", _read("c-2", fail="error")),
            one("c", _read("c-2")),
            one("d", _read("c-3", fail="database")),
            one("e", _read("c-3")),
        )

    event.listen(engine, "begin", begun)
    try:
        answers = asyncio.run(deliver())
    finally:
        event.remove(engine, "begin", begun)

    assert answers == ["c-1 for a", None, "c-2 for c", None, "c-3 for e"]
    # One transaction, and a second after the statement that failed ended it.
    assert len(began) <= 2


@pytest.mark.parametrize("write", [True, False])
def test_a_request_right_after_a_unit_of_work_ends_gets_one_of_its_own(
    engine: Engine, environment: Environment, write: bool
) -> None:
    """The second request arrives as the first one's answer is given, before the runner
    that gave it is done: it must not wait for a runner that will not come."""

    async def one_after_another() -> list[Any]:
        units = shared_units.shared_units(write=write)
        work = _customer if write else _read
        first = await units.run(environment, work("c-1"))
        async with asyncio.timeout(10):  # in this task: wait_for would start another
            second = await units.run(environment, work("c-2"))
        return [first, second]

    answers = asyncio.run(one_after_another())

    assert answers == (["c-1 in ", "c-2 in "] if write else ["None for ", "None for "])
