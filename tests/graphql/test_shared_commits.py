"""Planned writes that arrive together share a transaction, each in a savepoint."""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session, select

from app.graphql import shared_commits
from app.models import Customer, Environment

request_name: contextvars.ContextVar[str] = contextvars.ContextVar("request_name", default="")


def _customer(customer_id: str, *, fail: bool = False) -> shared_commits.Work:
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


def _deliver(environment: Environment, works: list[tuple[str, shared_commits.Work]]) -> list[Any]:
    async def one(name: str, work: shared_commits.Work) -> Any:
        request_name.set(name)
        return await shared_commits.shared_commits().write(environment, work)

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

    monkeypatch.setattr(shared_commits, "in_thread", unreachable)

    answers = _deliver(environment, [("a", _customer("c-a")), ("b", _customer("c-b"))])

    assert answers == [None, None]
    assert _stored(engine) == []


def test_a_write_whose_request_went_away_before_its_transaction_is_dropped(
    engine: Engine, environment: Environment
) -> None:
    async def deliver() -> list[Any]:
        commits = shared_commits.shared_commits()
        first = asyncio.create_task(commits.write(environment, _customer("c-first")))
        gone = asyncio.create_task(commits.write(environment, _customer("c-gone")))
        kept = asyncio.create_task(commits.write(environment, _customer("c-kept")))
        await asyncio.sleep(0)  # all three waiting; the first one's transaction begins
        gone.cancel()
        return await asyncio.gather(first, kept)

    assert asyncio.run(deliver()) == ["c-first in ", "c-kept in "]
    assert _stored(engine) == ["c-first", "c-kept"]
