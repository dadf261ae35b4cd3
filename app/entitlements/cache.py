"""Entitlement states kept in process, dropped by the commits that change them.

Every flush is watched for rows an entitlement depends on (customers, subscriptions
and their addons, quantities and overrides, promotions, the catalog). The customers
and environments they touch are collected in the session; after the commit they are
dropped from this process's cache, their ``entitlements_version`` has been bumped in
the same transaction, and, with Redis, every other process is told over a pub/sub
channel. A state also stops being served at its ``valid_until`` (a trial or promotion
ending). States and usage are read afresh after ``ENTITLEMENTS_CACHE_SECONDS``, a bound
on what a lost invalidation message could cost: checks go on being answered from the
old value while one background thread reloads it (``app.entitlements.refresher``), so
entries loaded together do not all turn into database reads on the same request, and
nothing older than twice that age is ever served.

A state loaded while an invalidation happened is not stored: it may predate the commit.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import redis
import structlog
from sqlalchemy import event, inspect, update
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction
from sqlalchemy.orm.util import identity_key

from app.catalog import reads as catalog_reads
from app.entitlements.state import EntitlementState
from app.models import (
    Customer,
    Feature,
    Package,
    PackageEntitlement,
    Product,
    PromotionalEntitlement,
    Subscription,
    SubscriptionAddon,
    SubscriptionEntitlement,
    SubscriptionFeatureQuantity,
)

log = structlog.get_logger(__name__)

CHANNEL = "billing-sync:entitlements"


def channel_of(redis_url: str) -> str:
    """The channel of the Redis database ``redis_url`` names. Pub/sub channels are
    shared by every database of a Redis server, keys are not: deployments kept apart by
    database number must not hear each other's invalidations."""
    database = redis.connection.parse_url(redis_url).get("db", 0)  # type: ignore[no-untyped-call]
    return f"{CHANNEL}:{database}"


_CHANGED = "entitlements.changed"
# Usage values written by reports, and changes only other processes are told of.
_WRITTEN = "entitlements.usage_written"
_PUBLISHED = "entitlements.published"
ALL = ("all", "")

# The clock entries age by (a seam for tests, which move it instead of sleeping).
monotonic = time.monotonic

StateKey = tuple[str, str, str | None]  # environment id, customer refId, resource id
# ("customer", customer row id) | ("ref", "<environment id>:<customer refId>")
# | ("environment", id) | ALL. A customer created or archived is named by its refId too,
# since a state cached before it existed ("not found") has no row id.
Change = tuple[str, str]


class StateCache:
    def __init__(self, max_entries: int = 50_000, max_age_seconds: float = 30.0) -> None:
        self.max_entries = max_entries
        self.max_age_seconds = max_age_seconds
        self._states: OrderedDict[StateKey, tuple[EntitlementState, float]] = OrderedDict()
        # "id:<customer row id>" and "ref:<environment id>:<refId>" -> their states.
        self._by_customer: dict[str, set[StateKey]] = {}
        self._lock = threading.Lock()
        self._generation = 0

    @property
    def generation(self) -> int:
        return self._generation

    def get(self, key: StateKey, now: datetime) -> EntitlementState | None:
        state, due = self.lookup(key, now)
        return None if due else state

    def lookup(self, key: StateKey, now: datetime) -> tuple[EntitlementState | None, bool]:
        """The state, and whether it is past its maximum age and due a reload.

        A state past its age was not invalidated (that drops it): a check may still be
        answered from it while it is reloaded in the background, up to twice the age.
        One past ``valid_until`` is never served.
        """
        entry = self._states.get(key)
        if entry is None:
            return None, False
        state, stored_at = entry
        if state.valid_until is not None and state.valid_until <= now:
            return None, False
        return _aged(state, monotonic() - stored_at, self.max_age_seconds)

    def put(self, key: StateKey, state: EntitlementState, generation: int) -> None:
        with self._lock:
            if generation != self._generation:
                return
            self._states[key] = (state, monotonic())
            self._states.move_to_end(key)
            for name in _names(key, state):
                self._by_customer.setdefault(name, set()).add(key)
            while len(self._states) > self.max_entries:
                old_key, (old, _) = self._states.popitem(last=False)
                self._unindex(old_key, old)

    def invalidate(self, changes: Iterable[Change]) -> None:
        with self._lock:
            self._generation += 1
            for kind, value in changes:
                if kind in ("customer", "ref"):
                    name = f"id:{value}" if kind == "customer" else f"ref:{value}"
                    for key in self._by_customer.pop(name, set()):
                        entry = self._states.pop(key, None)
                        if entry is not None:
                            self._unindex(key, entry[0])
                elif kind == "environment":
                    self._drop_environment(value)
                elif kind == "all":
                    self._states.clear()
                    self._by_customer.clear()

    def _drop_environment(self, environment_id: str) -> None:
        for key in [key for key in self._states if key[0] == environment_id]:
            state, _ = self._states.pop(key)
            self._unindex(key, state)

    def _unindex(self, key: StateKey, state: EntitlementState) -> None:
        for name in _names(key, state):
            keys = self._by_customer.get(name)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_customer[name]

    def clear(self) -> None:
        self.invalidate([ALL])


T = TypeVar("T")


def _aged(value: T, age: float, max_age: float) -> tuple[T | None, bool]:
    if age <= max_age:
        return value, False
    if age <= 2 * max_age:
        return value, True
    return None, False


def _names(key: StateKey, state: EntitlementState) -> list[str]:
    names = [f"ref:{key[0]}:{key[1]}"]
    if state.customer_id is not None:
        names.append(f"id:{state.customer_id}")
    return names


# customer row id, resource id ("" for none), feature id, usage key (period start)
UsageKey = tuple[str, str, str, datetime]


class UsageCache:
    """Current usage as last read or written, dropped by the commits of events and kept
    up to date by the commits of reports, in this process and in others.

    A report's new value is stored at its commit (``written``) with its row's version,
    here and, through Redis, in every other process, so the next check needs no read
    wherever it lands. Of two values for one entry the higher version stays, whatever
    order they arrive in. Like states, a value read while an invalidation happened is
    not stored, nor one read while a report wrote the same entry: readers store only over
    the entry they saw before reading.
    """

    def __init__(self, max_entries: int = 200_000) -> None:
        self.max_entries = max_entries
        # value, when stored, and the version of the row it came from (0: read).
        self._values: dict[UsageKey, tuple[Decimal, float, int]] = {}
        self._by_customer: dict[str, set[UsageKey]] = {}
        self._lock = threading.Lock()
        self._generation = 0
        self.max_age_seconds = 30.0

    @property
    def generation(self) -> int:
        return self._generation

    def get(self, key: UsageKey) -> Decimal | None:
        value, due = self.lookup(key)
        return None if due else value

    def lookup(self, key: UsageKey) -> tuple[Decimal | None, bool]:
        """The usage, and whether it is due a reload (as for states)."""
        entry = self._values.get(key)
        if entry is None:
            return None, False
        return _aged(entry[0], monotonic() - entry[1], self.max_age_seconds)

    def entry(self, key: UsageKey) -> object:
        """What ``key`` holds now, to hand back to ``put`` after reading."""
        return self._values.get(key)

    def put(self, key: UsageKey, value: Decimal, generation: int, seen: object = None) -> None:
        """Store a value read from the database, unless anything was invalidated since
        ``generation`` was taken or ``key`` holds another entry than ``seen``."""
        with self._lock:
            if generation != self._generation or self._values.get(key) is not seen:
                return
            self._store(key, (value, monotonic(), 0))

    def written(self, writes: Iterable[tuple[UsageKey, Decimal, int]]) -> None:
        """Store the values committed reports gave their rows: (key, value, the row's
        version). A value of a lower version than the one held is skipped."""
        with self._lock:
            for key, value, version in writes:
                held = self._values.get(key)
                if held is None or held[2] < version:
                    self._store(key, (value, monotonic(), version))

    def _store(self, key: UsageKey, entry: tuple[Decimal, float, int]) -> None:
        if key not in self._values and len(self._values) >= self.max_entries:
            self._values.clear()
            self._by_customer.clear()
        self._values[key] = entry
        self._by_customer.setdefault(key[0], set()).add(key)

    def invalidate(self, customer_ids: Iterable[str] | None) -> None:
        """Drop the customers' usage (every customer's with None)."""
        with self._lock:
            self._generation += 1
            if customer_ids is None:
                self._values.clear()
                self._by_customer.clear()
                return
            for customer_id in customer_ids:
                for key in self._by_customer.pop(customer_id, set()):
                    self._values.pop(key, None)


states = StateCache()
usage = UsageCache()

# Called after this process applied changes, its own or another process's: (the changes,
# the row ids of customers whose usage values were written). The push channel to SDKs
# (``app.entitlements.push``) listens here, so it hears exactly what the caches hear.
Watcher = Callable[[list[Change], set[str]], None]
watchers: list[Watcher] = []


def _tell_watchers(
    changes: Iterable[Change], written: Iterable[tuple[UsageKey, Decimal, int]]
) -> None:
    if not watchers:
        return
    found, customers = list(changes), {key[0] for key, _, _ in written}
    for watcher in watchers:
        try:
            watcher(found, customers)
        except Exception:
            log.warning("entitlements.watcher_failed", exc_info=True)


# Features by environment: (feature refId -> FeatureInfo), dropped with the catalog.
features: dict[str, Any] = {}


def apply(changes: Iterable[Change]) -> None:
    changes = list(changes)
    states.invalidate(changes)
    usage_changed = [value for kind, value in changes if kind in ("usage", "customer")]
    if usage_changed:
        usage.invalidate(usage_changed)
    for kind, value in changes:
        if kind == "environment":
            features.pop(value, None)
            catalog_reads.drop(value)
        elif kind == "all":
            features.clear()
            catalog_reads.clear()
            usage.invalidate(None)


def usage_reported(session: Session, customer_ids: Iterable[str]) -> None:
    """Mark the customers' usage as changed by this transaction (dropped at its commit)."""
    session.info.setdefault(_CHANGED, set()).update(("usage", c) for c in customer_ids)


def usage_written(session: Session, key: UsageKey, value: Decimal, version: int) -> None:
    """A report of this transaction gave ``key``'s row the value ``value`` at
    ``version``: stored in this process's cache and sent to the others at the commit."""
    session.info.setdefault(_WRITTEN, []).append((key, value, version))
    # For processes that read only the changes of a message: they drop the customer's.
    session.info.setdefault(_PUBLISHED, set()).add(("usage", key[0]))


# -- change tracking ------------------------------------------------------------------

_SUBSCRIPTION_PARTS = (SubscriptionAddon, SubscriptionFeatureQuantity, SubscriptionEntitlement)


def _change_of(session: Session, row: object) -> Change | None:
    if isinstance(row, Customer):
        return ("ref", f"{row.environment_id}:{row.customer_id}")
    if isinstance(row, Subscription | PromotionalEntitlement):
        return ("customer", row.customer_id)
    if isinstance(row, _SUBSCRIPTION_PARTS):
        parent = session.identity_map.get(identity_key(Subscription, row.subscription_id))
        return ("customer", parent.customer_id) if isinstance(parent, Subscription) else ALL
    if isinstance(row, Feature | Package | Product):
        return ("environment", row.environment_id)
    if isinstance(row, PackageEntitlement):
        package = session.identity_map.get(identity_key(Package, row.package_id))
        return ("environment", package.environment_id) if isinstance(package, Package) else ALL
    return None


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context: UOWTransaction) -> None:
    found: set[Change] = set()
    for row in (*session.new, *session.dirty, *session.deleted):
        change = _change_of(session, row)
        if change is not None:
            found.add(change)
    if not found:
        return
    # A customer row changed for another reason (a billing id) changes no entitlement.
    unchanged = {
        ("ref", f"{row.environment_id}:{row.customer_id}")
        for row in session.dirty
        if isinstance(row, Customer) and not _entitlement_fields_changed(row)
    }
    found -= unchanged
    customers = {value for kind, value in found if kind == "customer"}
    customers |= {
        row.id
        for row in session.dirty
        if isinstance(row, Customer) and ("ref", f"{row.environment_id}:{row.customer_id}") in found
    }
    if customers:
        session.execute(
            update(Customer)
            .where(Customer.id.in_(sorted(customers)))  # type: ignore[attr-defined]
            .values(entitlements_version=Customer.entitlements_version + 1)
            .execution_options(synchronize_session=False)
        )
    session.info.setdefault(_CHANGED, set()).update(found)


def _entitlement_fields_changed(row: Customer) -> bool:
    return bool(inspect(row).attrs.archived_at.history.has_changes())


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    # A released savepoint is reported as a commit too, but other connections see its
    # changes only at the outermost commit: a state read in between would be stored as
    # fresh and outlive the change.
    if session.in_nested_transaction():
        return
    changes = session.info.pop(_CHANGED, None)
    written = session.info.pop(_WRITTEN, None)
    published = session.info.pop(_PUBLISHED, None)
    if changes:
        apply(changes)
    if written:
        usage.written(written)
    if changes or published:
        publish((changes or set()) | (published or set()), written or [], changes or set())
        _tell_watchers(changes or (), written or ())


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous: SessionTransaction) -> None:
    if not session.in_transaction():
        for name in (_CHANGED, _WRITTEN, _PUBLISHED):
            session.info.pop(name, None)


# -- other processes ------------------------------------------------------------------

_publisher: Any = None
_channel = CHANNEL
# Names this process in what it publishes, so that it skips its own messages.
SENDER = uuid.uuid4().hex
_listener: threading.Thread | None = None


def publish(
    changes: Iterable[Change],
    written: Iterable[tuple[UsageKey, Decimal, int]] = (),
    dropped: Iterable[Change] = (),
) -> None:
    """Tell other processes of ``changes``, with the usage values reports ``written``.
    A customer whose usage changed only by those values is named as ``carried``: its
    cached usage need not be dropped. One whose usage also changed otherwise (a change
    of kind "usage" in ``dropped``, events say) is dropped as before."""
    if _publisher is None:
        return
    written = list(written)
    values = [
        [*key[:3], key[3].isoformat(), str(value), version] for key, value, version in written
    ]
    otherwise = {value for kind, value in dropped if kind == "usage"}
    carried = sorted({key[0] for key, _, _ in written} - otherwise)
    message = json.dumps(
        {"sender": SENDER, "changes": sorted(changes), "usage": values, "carried": carried}
    )
    try:
        _publisher.publish(_channel, message)
    except Exception:
        log.warning("entitlements.invalidation.publish_failed", exc_info=True)


def _parse(message: bytes | str) -> list[Change]:
    """The changes another process announced; none for this process's own (applied at
    its commit already), everything for a message that cannot be read. A customer's
    usage the message says it carries in full is not dropped: its values replace it."""
    return _read(message)[0]


def _read(message: bytes | str) -> tuple[list[Change], list[tuple[UsageKey, Decimal, int]]]:
    """The changes and usage values of a message (see ``_parse``)."""
    try:
        found = json.loads(message)
    except ValueError:
        return [ALL], []
    if not isinstance(found, dict) or not isinstance(found.get("changes"), list):
        return [ALL], []
    if found.get("sender") == SENDER:
        return [], []
    try:
        values = _values(found)
        carried = {str(customer) for customer in found.get("carried") or []}
    except (TypeError, ValueError, IndexError, ArithmeticError):
        return [ALL], []
    changes = [
        (str(item[0]), str(item[1]))
        for item in found["changes"]
        if isinstance(item, list)
        and len(item) == 2
        and item[0] in ("customer", "ref", "usage", "environment", "all")
        and not (item[0] == "usage" and item[1] in carried)
    ]
    return changes, values


def _values(found: dict[str, Any]) -> list[tuple[UsageKey, Decimal, int]]:
    """The usage values a message carries (raises on a malformed one)."""
    items = found.get("usage") or []
    if not isinstance(items, list):
        raise TypeError("usage is not a list")
    return [
        (
            (str(c), str(r), str(f), datetime.fromisoformat(str(start))),
            Decimal(str(value)),
            int(version),
        )
        for c, r, f, start, value, version in items
    ]


def receive(message: bytes | str) -> None:
    """Apply what another process announced."""
    changes, values = _read(message)
    apply(changes)
    usage.written(values)
    _tell_watchers(changes, values)


def connect(redis_url: str | None, max_age_seconds: float | None = None) -> None:
    """Share invalidations with other processes through Redis (idempotent)."""
    global _publisher, _listener, _channel  # noqa: PLW0603 - one connection per process
    if max_age_seconds is not None:
        states.max_age_seconds = max_age_seconds
        usage.max_age_seconds = max_age_seconds
    if redis_url is None or _listener is not None:
        return
    channel = _channel = channel_of(redis_url)
    _publisher = redis.Redis.from_url(redis_url)

    def listen() -> None:
        while True:
            try:
                pubsub = redis.Redis.from_url(redis_url).pubsub(  # type: ignore[no-untyped-call]
                    ignore_subscribe_messages=True
                )
                pubsub.subscribe(channel)
                # Whatever was published while disconnected is lost: start afresh.
                apply([ALL])
                _tell_watchers([ALL], ())
                for message in pubsub.listen():
                    receive(message["data"])
            except Exception:
                log.warning("entitlements.invalidation.listen_failed", exc_info=True)
                time.sleep(1.0)

    _listener = threading.Thread(target=listen, name="entitlements-invalidation", daemon=True)
    _listener.start()
