"""Per-request GraphQL context and the bridge from async resolvers to sync services.

Services use a synchronous session. ``run`` executes one service call in a worker
thread inside its own unit of work (so each mutation field commits on its own, as
GraphQL runs mutations one after another), converting the result to GraphQL types
before the session closes. A per-request lock keeps one request's calls sequential.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from functools import partial
from typing import Any, TypeVar

from graphql.language import OperationType
from sqlmodel import Session
from strawberry.fastapi import BaseContext
from strawberry.types import Info as StrawberryInfo
from strawberry.types.base import has_object_definition
from strawberry.types.unset import UNSET
from strawberry.utils.str_converters import to_camel_case

from app.catalog import reads as catalog_reads
from app.config import get_settings
from app.db import in_transaction
from app.errors import Unauthenticated
from app.models import Environment

T = TypeVar("T")


@dataclass
class Context(BaseContext):
    environment_or_none: Environment | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # A websocket's: the key its upgrade request carried, and its connection_init payload.
    api_key: str | None = None
    connection_params: object = None

    def __post_init__(self) -> None:
        super().__init__()

    @property
    def environment(self) -> Environment:
        if self.environment_or_none is None:
            raise Unauthenticated(
                "missing API key: send it in the X-API-KEY header or the apiKey query parameter"
            )
        return self.environment_or_none


Info = StrawberryInfo[Context, None]


def call_in_unit_of_work(
    fn: Callable[[Session, Environment], T], environment: Environment, write: bool
) -> T:
    """``fn`` in a unit of work of its own (a read one uses the catalog's read copies)."""

    def work(session: Session) -> T:
        if not write:
            catalog_reads.use(session, environment)
        return fn(session, environment)

    return in_transaction(work, write=write)


# The threads units of work run on: API_READ_THREADS for reads, and WRITE_THREADS for
# writes, which may wait on Stripe (as many as anyio's default pool). Plain executors:
# anyio's worker threads (a capacity limiter, cancel scopes, run variables) cost a tenth
# of a subscription read's time on the event loop. Kept for the process by size, not by
# event loop: each application (tests start many) reuses the same idle threads.
WRITE_THREADS = 40
_pools: dict[tuple[bool, int], ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _executor(write: bool) -> ThreadPoolExecutor:
    size = WRITE_THREADS if write else get_settings().api_read_threads
    pool = _pools.get((write, size))
    if pool is None:
        with _pools_lock:
            pool = _pools.get((write, size))
            if pool is None:
                name = "api-write" if write else "api-read"
                pool = _pools[(write, size)] = ThreadPoolExecutor(size, thread_name_prefix=name)
    return pool


async def _to_its_end(future: Future[T]) -> T:
    """The unit of work's result. Cancelled (a websocket operation stopped, a sibling
    field failed), it is dropped if it has not started, and otherwise waited for to its
    end before the cancellation goes on, as anyio's threads did: the request's lock is
    never released while its unit of work still runs."""
    try:
        return await asyncio.wrap_future(future)
    except asyncio.CancelledError:
        # The cancellation reached ``future``: it is cancelled unless it had started.
        if future.cancelled():
            raise
        while not future.done():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.shield(asyncio.wrap_future(future))
        raise


async def in_thread(
    fn: Callable[[Session, Environment], T], environment: Environment, *, write: bool
) -> T:
    """``fn`` in a unit of work of its own in a thread: a read on one of the
    ``API_READ_THREADS``, a write on one of the ``WRITE_THREADS``."""
    # In a copy of this context, as anyio and asyncio.to_thread run theirs (the log's
    # request id).
    call = partial(contextvars.copy_context().run, call_in_unit_of_work, fn, environment, write)
    return await _to_its_end(_executor(write).submit(call))


async def run(
    info: Info, fn: Callable[[Session, Environment], T], *, write: bool | None = None
) -> T:
    """``fn`` in a unit of work in a thread; a mutation's writes unless ``write`` says
    otherwise (a mutation that only reads, such as an estimate, need not queue for
    SQLite's write lock)."""
    context = info.context
    environment = context.environment
    if write is None:
        write = info.operation.operation != OperationType.QUERY
    async with context.lock:
        return await in_thread(fn, environment, write=write)


def as_dict(value: Any) -> Any:
    """A Strawberry input as plain data with GraphQL field names; unset fields left out."""
    names = _input_names.get(type(value))
    if names is None and has_object_definition(value):
        names = _input_names[type(value)] = tuple(
            (d.python_name, d.graphql_name or to_camel_case(d.python_name))
            for d in value.__strawberry_definition__.fields
        )
    if names is not None:
        result: dict[str, Any] = {}
        for python_name, name in names:
            item = getattr(value, python_name)
            if item is not UNSET:
                result[name] = as_dict(item)
        return result
    if isinstance(value, list):
        return [as_dict(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    return value


# Each input type's (Python name, GraphQL name) pairs, read from its definition once.
_input_names: dict[type, tuple[tuple[str, str], ...]] = {}
