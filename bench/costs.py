"""What each step of a GetEntitlement request costs, each timed alone in this process.

On the benchmark's own database (the server is idle by then), with the same API key and
customers: every step the server takes for one check, called in a loop without
contention, so each figure is that step's own cost. Under load a step costs more (the
threads of one process take turns at the GIL); ``bench/spy.py`` shows that side.
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from itertools import cycle
from typing import Any

from graphql import parse, validate
from graphql.execution.values import get_variable_values
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from app import clock, db
from app.entitlements import service, usage
from app.entitlements import state as entitlement_state
from app.graphql import entitlements as entitlement_resolvers
from app.graphql.context import Context, run
from app.graphql.entitlement_types import Entitlement
from app.graphql.schema import build_schema, new_schema
from app.main import _authenticate

ROUNDS = 5


def _select_one(session: Session) -> object:
    return session.connection().exec_driver_sql("SELECT 1").scalar()


def _timed(step: Callable[[], object], calls: int) -> float:
    """Seconds per call: the median of a few rounds, after one round to warm up."""
    rounds = []
    for _ in range(ROUNDS + 1):
        started = time.perf_counter()
        for _ in range(calls):
            step()
        rounds.append((time.perf_counter() - started) / calls)
    return statistics.median(rounds[1:])


def _timed_async(step: Callable[[], Awaitable[object]], calls: int) -> float:
    async def rounds() -> list[float]:
        spent = []
        for _ in range(ROUNDS + 1):
            started = time.perf_counter()
            for _ in range(calls):
                await step()
            spent.append((time.perf_counter() - started) / calls)
        return spent

    return statistics.median(asyncio.run(rounds())[1:])


def costs(
    database_url: str, api_key: str, document: str, checks: Sequence[dict[str, Any]]
) -> list[tuple[str, float]]:
    """Seconds per call of each step, for ``checks`` (GetEntitlement variables) in turn."""
    engine = db.make_engine(database_url)
    db.set_engine(engine)
    try:
        return _steps(engine, api_key, document, checks)
    finally:
        db.set_engine(None)
        engine.dispose()


def _steps(
    engine: Any, api_key: str, document: str, checks: Sequence[dict[str, Any]]
) -> list[tuple[str, float]]:
    environment = _authenticate(api_key)
    queries = [
        service.CheckQuery(
            customer_ref=item["query"]["customerId"],
            feature_ref=item["query"]["featureId"],
            resource_id=item["query"].get("resourceId"),
            requested_usage=Decimal(0),
        )
        for item in checks
    ]
    found: list[tuple[str, float]] = []

    def timed(name: str, step: Callable[[], object], calls: int) -> None:
        found.append((name, _timed(step, calls)))

    def timed_async(name: str, step: Callable[[], Awaitable[object]], calls: int) -> None:
        found.append((name, _timed_async(step, calls)))

    schema = build_schema()
    context = Context(environment_or_none=environment)
    parsed = parse(document)
    variables = cycle(checks)
    query = cycle(queries)

    timed("API-key lookup (_authenticate: session, query)", lambda: _authenticate(api_key), 500)
    timed_async(
        "thread-pool hop (run_in_threadpool of nothing)",
        lambda: run_in_threadpool(lambda: None),
        2000,
    )
    timed(
        "unit of work around one SELECT 1 (in_transaction)",
        lambda: db.in_transaction(_select_one, write=False),
        1000,
    )

    with Session(engine) as session:
        now = clock.now()
        for item in queries:  # fill the caches as the server's warm-up did
            service.check(session, environment, item)

        def state_hit() -> object:
            item = next(query)
            return service.state_for(
                session, environment.id, item.customer_ref, item.resource_id, now
            )

        def state_load() -> object:
            item = next(query)
            return entitlement_state.load(
                session, environment.id, item.customer_ref, item.resource_id, now
            )

        states = [state_hit() for _ in queries]
        grants = [
            (state, state.grants[item.feature_ref])
            for state, item in zip(states, queries, strict=True)
            if item.feature_ref in state.grants
        ]
        granted = cycle(grants)

        def usage_read() -> object:
            state, grant = next(granted)
            return usage.current_usage(session, state, [grant], now)

        decisions = cycle([service.check(session, environment, item) for item in queries])
        answer = Entitlement.of(next(decisions))

        timed("SELECT 1 in an open session", lambda: _select_one(session), 1000)
        timed(
            "features by refId (cached)", lambda: service.features(session, environment.id), 20000
        )
        timed("state: cache hit", state_hit, 20000)
        timed("state: load (a cache miss)", state_load, 200)
        timed("usage read (feature_usage query)", usage_read, 1000)
        timed(
            "service.check with warm caches (in a session)",
            lambda: service.check(session, environment, next(query)),
            1000,
        )
        timed(
            "Entitlement.of (Decision to GraphQL type)",
            lambda: Entitlement.of(next(decisions)),
            5000,
        )
    plans = schema.plans  # type: ignore[attr-defined]
    plans.learn(document)
    plan = plans._plans[document]
    bodies = cycle([json.dumps({"query": document, "variables": item}).encode() for item in checks])
    timed_async(
        "planned answer (app.graphql.compiled: JSON in, JSON out)",
        lambda: plans.answer(next(bodies), environment),
        5000,
    )
    if os.environ.get("BENCH_CPROFILE"):

        async def answers() -> None:
            for _ in range(5000):
                await plans.answer(next(bodies), environment)

        cProfile.runctx("asyncio.run(answers())", globals(), {"answers": answers}, sort="tottime")
    timed(
        "  of which the input bounds",
        lambda: plans.bounds.first_problem(
            schema._schema, plan.document, None, next(variables), document
        ),
        5000,
    )
    timed(
        "  of which graphql-core's variable coercion",
        lambda: get_variable_values(
            schema._schema, plan.operation.variable_definitions, next(variables)
        ),
        5000,
    )
    timed("GraphQL parse of GetEntitlement (uncached)", lambda: parse(document), 1000)
    timed(
        "GraphQL validate of GetEntitlement (uncached)",
        lambda: validate(schema._schema, parsed),
        500,
    )
    timed_async(
        "Strawberry: execute { __typename }",
        lambda: schema.execute("{ __typename }", context_value=context),
        2000,
    )
    timed_async(
        "Strawberry: execute GetEntitlement (resolver included)",
        lambda: schema.execute(document, next(variables), context_value=context),
        500,
    )

    async def answered(_info: object, _call: object) -> Entitlement:
        return answer

    # The same document with a resolver that answers at once: Strawberry's own share.
    entitlement_resolvers.run = answered  # type: ignore[assignment]
    try:
        timed_async(
            "Strawberry: execute GetEntitlement, the answer ready",
            lambda: schema.execute(document, next(variables), context_value=context),
            1000,
        )
        # And on graphql-core's generic path for every field (no short path for leaves).
        generic = new_schema()
        generic.execution_context_class = StrawberryGraphQLCoreExecutionContext
        timed_async(
            "  the same on graphql-core's generic path for every field",
            lambda: generic.execute(document, next(variables), context_value=context),
            1000,
        )
    finally:
        entitlement_resolvers.run = run  # type: ignore[assignment]
    return found


def report(found: list[tuple[str, float]]) -> None:
    print(f"\n{'step of a GetEntitlement request, alone in-process':<58} {'us/call':>8}")
    for name, seconds in found:
        print(f"{name:<58} {seconds * 1e6:8.1f}")
