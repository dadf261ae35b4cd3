"""Catalog rows for requests that only read, kept in process per environment.

A published package version never changes (a change publishes a new version), and
products and features change only through a catalog apply, which bumps the
environment's ``catalog_version``. A unit of work that only reads (a query, an
estimate) is marked with its environment (``use``) and then finds here copies of the
catalog rows it needs instead of querying them again on every request: packages, the
latest version of a plan or addon, prices, products and features. A provision, which
writes only its subscription's rows, uses them too (``current``), with the catalog
version read in its own transaction.

Entries are kept per environment and catalog version. An apply committed in this
process, or told by another one through Redis, drops the environment's entries at its
commit (``app.entitlements.cache`` watches the flushes); an apply by another process
without Redis is seen once the environment is read again with its key, within
``KEY_CACHE_SECONDS``. Entries are replaced, never emptied in place, so a read that
started before a drop stores what it loaded in entries no later request sees.

The copies are shared by every request of the process and never attached to a session:
readers must not change them. They carry no Stripe ids: those are recorded by the
Stripe sync outside any apply, so a copy's would go stale. Code that talks to Stripe
runs in a writing unit of work, which always reads the rows themselves.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Collection, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, select

from app.catalog import repository
from app.models import Environment, Feature, Package, PackagePrice, Product
from app.models.catalog import PackageKind

_ENTRIES = "catalog_reads"
# Lookups kept per environment before its entries start afresh (a bound, not a tuning
# knob: a catalog needs far fewer).
MAX_ENTRIES = 20_000

R = TypeVar("R", bound=SQLModel)
T = TypeVar("T")


class _Entries:
    """What one environment's catalog version answered, by (kind of lookup, key)."""

    __slots__ = ("found", "version")

    def __init__(self, version: int) -> None:
        self.version = version
        self.found: dict[tuple[str, Hashable], Any] = {}


_current: dict[str, _Entries] = {}
_lock = threading.Lock()


def use(session: Session, environment: Environment) -> None:
    """Serve the catalog reads of ``session`` (a unit of work that only reads) from the
    environment's entries."""
    session.info[_ENTRIES] = (environment.id, _entries(environment.id, environment.catalog_version))


@contextmanager
def current(session: Session, environment_id: str) -> Iterator[None]:
    """``use`` within a block of a unit of work that writes what it derives from the
    catalog (a provision): the environment's catalog version is read in the unit's own
    transaction, so an apply committed before it is seen whatever a cached environment
    says. The block must not talk to Stripe, nor write catalog rows."""
    version = session.exec(
        select(Environment.catalog_version).where(Environment.id == environment_id)
    ).one()
    before = session.info.get(_ENTRIES)
    session.info[_ENTRIES] = (environment_id, _entries(environment_id, version))
    try:
        yield
    finally:
        if before is None:
            session.info.pop(_ENTRIES, None)
        else:
            session.info[_ENTRIES] = before


def drop(environment_id: str) -> None:
    with _lock:
        _current.pop(environment_id, None)


def clear() -> None:
    with _lock:
        _current.clear()


def _entries(environment_id: str, version: int) -> _Entries:
    with _lock:
        found = _current.get(environment_id)
        # A lagging environment (read before an apply) is served the newer entries.
        if found is None or found.version < version or len(found.found) > MAX_ENTRIES:
            found = _current[environment_id] = _Entries(version)
        return found


def _cached(
    session: Session, environment_id: str | None, key: tuple[str, Hashable], load: Callable[[], T]
) -> T:
    """``load()``, or a copy of what it gave for ``key`` in the session's environment.
    ``environment_id`` is None for lookups by id, which need no scope to be cached."""
    marked: tuple[str, _Entries] | None = session.info.get(_ENTRIES)
    if marked is None or (environment_id is not None and marked[0] != environment_id):
        return load()
    found = marked[1].found
    if key not in found:
        found[key] = _copied(load())
    value: T = found[key]
    return value


def _copied(value: Any) -> Any:
    if isinstance(value, list):
        return [_copy(row) if isinstance(row, SQLModel) else row for row in value]
    return None if value is None else _copy(value)


def _copy(row: R) -> R:
    """A detached copy of ``row`` with every column, no Stripe id, and its own JSON values."""
    values = {
        name: copy.deepcopy(getattr(row, name))
        for name in type(row).model_fields
        if name != "billing_id"
    }
    return type(row)(**values)


def package(session: Session, package_id: str) -> Package | None:
    """A package version by id (any environment's: callers check where it belongs)."""
    return _cached(session, None, ("package", package_id), lambda: session.get(Package, package_id))


def latest_package(
    session: Session,
    environment_id: str,
    kind: PackageKind,
    ref_id: str,
    *,
    include_archived: bool = False,
) -> Package | None:
    """The newest version of a plan or an addon (``repository.latest_package``)."""
    return _cached(
        session,
        environment_id,
        ("latest", (kind.value, ref_id, include_archived)),
        lambda: repository.latest_package(
            session, environment_id, kind, ref_id, include_archived=include_archived
        ),
    )


def version_ids(session: Session, plan: Package) -> list[str]:
    """The ids of every version of ``plan``'s plan or addon, archived ones included."""

    def load() -> list[str]:
        query = select(Package.id).where(
            Package.environment_id == plan.environment_id,
            Package.kind == plan.kind,
            Package.ref_id == plan.ref_id,
        )
        return list(session.exec(query))

    found: list[str] = _cached(
        session, plan.environment_id, ("versions", (plan.kind, plan.ref_id)), load
    )
    return list(found)


def prices_of(session: Session, package_id: str) -> list[PackagePrice]:
    """A version's prices (``repository.prices_of``); the list is the caller's own."""
    found = _cached(
        session, None, ("prices", package_id), lambda: repository.prices_of(session, package_id)
    )
    return list(found)


def product(session: Session, product_id: str) -> Product | None:
    return _cached(session, None, ("product", product_id), lambda: session.get(Product, product_id))


def features_by_ids(
    session: Session, environment_id: str, feature_ids: Collection[str]
) -> dict[str, Feature]:
    """Features by their ids (``repository.features_by_ids``), the missing ones read in
    one query."""
    marked: tuple[str, _Entries] | None = session.info.get(_ENTRIES)
    if marked is None or marked[0] != environment_id:
        return repository.features_by_ids(session, environment_id, feature_ids)
    found = marked[1].found
    missing = [i for i in feature_ids if ("feature", i) not in found]
    for feature_id, row in repository.features_by_ids(session, environment_id, missing).items():
        found["feature", feature_id] = _copy(row)
    return {i: found["feature", i] for i in feature_ids if ("feature", i) in found}


def feature_by_ref(session: Session, environment_id: str, ref_id: str) -> Feature | None:
    """An active feature by refId (``repository.feature_by_ref``)."""
    return _cached(
        session,
        environment_id,
        ("feature_ref", ref_id),
        lambda: repository.feature_by_ref(session, environment_id, ref_id),
    )
