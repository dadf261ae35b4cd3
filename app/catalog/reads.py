"""Catalog rows for requests that only read, kept in process per environment.

A published package version never changes (a change publishes a new version), and
products and features change only through a catalog apply, which bumps the
environment's ``catalog_version``. A unit of work that only reads (a query, an
estimate) is marked with its environment (``use``) and then finds here copies of the
catalog rows it needs instead of querying them again on every request: packages, the
latest version of a plan or addon, prices, products and features.

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
from collections.abc import Collection
from typing import TypeVar

from sqlmodel import Session, SQLModel

from app.catalog import repository
from app.models import Environment, Feature, Package, PackagePrice, Product
from app.models.catalog import PackageKind

_ENTRIES = "catalog_reads"
# Rows kept per environment before its entries start afresh (a bound, not a tuning knob:
# a catalog holds far fewer).
MAX_ROWS = 20_000

R = TypeVar("R", bound=SQLModel)


class _Entries:
    __slots__ = (
        "features",
        "features_by_ref",
        "latest",
        "packages",
        "prices",
        "products",
        "rows",
        "version",
    )

    def __init__(self, version: int) -> None:
        self.version = version
        self.packages: dict[str, Package | None] = {}
        self.latest: dict[tuple[str, str, bool], Package | None] = {}
        self.prices: dict[str, list[PackagePrice]] = {}
        self.products: dict[str, Product | None] = {}
        self.features: dict[str, Feature] = {}
        self.features_by_ref: dict[str, Feature | None] = {}
        self.rows = 0


_current: dict[str, _Entries] = {}
_lock = threading.Lock()


def use(session: Session, environment: Environment) -> None:
    """Serve the catalog reads of ``session`` (a unit of work that only reads) from the
    environment's entries."""
    session.info[_ENTRIES] = (environment.id, _entries(environment.id, environment.catalog_version))


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
        if found is None or found.version < version or found.rows > MAX_ROWS:
            found = _current[environment_id] = _Entries(version)
        return found


def _of(session: Session) -> tuple[str, _Entries] | None:
    found: tuple[str, _Entries] | None = session.info.get(_ENTRIES)
    return found


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
    cached = _of(session)
    if cached is None:
        return session.get(Package, package_id)
    _, entries = cached
    if package_id not in entries.packages:
        row = session.get(Package, package_id)
        entries.packages[package_id] = _copy(row) if row is not None else None
        entries.rows += 1
    return entries.packages[package_id]


def latest_package(
    session: Session,
    environment_id: str,
    kind: PackageKind,
    ref_id: str,
    *,
    include_archived: bool = False,
) -> Package | None:
    """The newest version of a plan or an addon (``repository.latest_package``)."""
    cached = _of(session)
    if cached is None or cached[0] != environment_id:
        return repository.latest_package(
            session, environment_id, kind, ref_id, include_archived=include_archived
        )
    _, entries = cached
    key = (kind.value, ref_id, include_archived)
    if key not in entries.latest:
        row = repository.latest_package(
            session, environment_id, kind, ref_id, include_archived=include_archived
        )
        entries.latest[key] = _copy(row) if row is not None else None
        entries.rows += 1
    return entries.latest[key]


def prices_of(session: Session, package_id: str) -> list[PackagePrice]:
    """A version's prices (``repository.prices_of``)."""
    cached = _of(session)
    if cached is None:
        return repository.prices_of(session, package_id)
    _, entries = cached
    found = entries.prices.get(package_id)
    if found is None:
        found = [_copy(row) for row in repository.prices_of(session, package_id)]
        entries.prices[package_id] = found
        entries.rows += len(found) + 1
    return list(found)


def product(session: Session, product_id: str) -> Product | None:
    cached = _of(session)
    if cached is None:
        return session.get(Product, product_id)
    _, entries = cached
    if product_id not in entries.products:
        row = session.get(Product, product_id)
        entries.products[product_id] = _copy(row) if row is not None else None
        entries.rows += 1
    return entries.products[product_id]


def features_by_ids(
    session: Session, environment_id: str, feature_ids: Collection[str]
) -> dict[str, Feature]:
    """Features by their ids (``repository.features_by_ids``)."""
    cached = _of(session)
    if cached is None or cached[0] != environment_id:
        return repository.features_by_ids(session, environment_id, feature_ids)
    _, entries = cached
    missing = [i for i in feature_ids if i not in entries.features]
    if missing:
        for feature_id, row in repository.features_by_ids(session, environment_id, missing).items():
            entries.features[feature_id] = _copy(row)
            entries.rows += 1
    return {i: entries.features[i] for i in feature_ids if i in entries.features}


def feature_by_ref(session: Session, environment_id: str, ref_id: str) -> Feature | None:
    """An active feature by refId (``repository.feature_by_ref``)."""
    cached = _of(session)
    if cached is None or cached[0] != environment_id:
        return repository.feature_by_ref(session, environment_id, ref_id)
    _, entries = cached
    if ref_id not in entries.features_by_ref:
        row = repository.feature_by_ref(session, environment_id, ref_id)
        entries.features_by_ref[ref_id] = _copy(row) if row is not None else None
        entries.rows += 1
    return entries.features_by_ref[ref_id]
