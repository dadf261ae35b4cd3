"""Entitlement changes pushed to the clients that watch a customer.

SDKs keep their own copy of a customer's entitlements and subscribe to
``entitlementsUpdated``; each subscription is a ``Watch`` here. The commits that change
entitlements are already announced to every API process (``app.entitlements.cache``:
this process's own at commit, the others' over Redis pub/sub), so this module adds no
fan-out of its own: it listens to what the caches hear, and wakes the watches of the
customers named. A woken watch reads the customer's entitlements again (from the cache
those same messages just refreshed) and sends them whole: a client never applies a
delta, so a lost or repeated wake-up costs one read and never a wrong answer.

Changes arrive on whichever thread committed or read Redis; a watch lives in an event
loop, so waking it goes through ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

from app.entitlements import cache


@dataclass(eq=False)
class Watch:
    environment_id: str
    customer_ref: str
    loop: asyncio.AbstractEventLoop
    event: asyncio.Event = field(default_factory=asyncio.Event)
    # The customer's row id once it exists: changes of subscriptions and usage name it.
    customer_id: str | None = None

    def wake(self) -> None:
        try:
            self.loop.call_soon_threadsafe(self.event.set)
        except RuntimeError:  # its loop has closed: the subscription is gone
            unwatch(self)


_lock = threading.Lock()
# "ref:<environment id>:<refId>", "id:<customer row id>", "env:<environment id>" -> watches
_index: dict[str, set[Watch]] = {}


def _names(watch: Watch) -> list[str]:
    names = [f"ref:{watch.environment_id}:{watch.customer_ref}", f"env:{watch.environment_id}"]
    if watch.customer_id is not None:
        names.append(f"id:{watch.customer_id}")
    return names


def watch(environment_id: str, customer_ref: str) -> Watch:
    """Start watching a customer (from inside the event loop that will wait on it)."""
    found = Watch(environment_id, customer_ref, asyncio.get_running_loop())
    _listen()
    with _lock:
        for name in _names(found):
            _index.setdefault(name, set()).add(found)
    return found


def identify(found: Watch, customer_id: str | None) -> None:
    """Record the customer's row id, once known, so that changes naming it wake ``found``."""
    if customer_id is None or customer_id == found.customer_id:
        return
    with _lock:
        _drop(found)
        found.customer_id = customer_id
        for name in _names(found):
            _index.setdefault(name, set()).add(found)


def unwatch(found: Watch) -> None:
    with _lock:
        _drop(found)


def _drop(found: Watch) -> None:
    for name in _names(found):
        watches = _index.get(name)
        if watches is not None:
            watches.discard(found)
            if not watches:
                del _index[name]


def changed(changes: list[cache.Change], usage_of: set[str]) -> None:
    """Wake the watches of every customer these changes concern."""
    if not _index:
        return
    names: set[str] = {f"id:{customer}" for customer in usage_of}
    everyone = False
    for kind, value in changes:
        if kind in ("customer", "usage"):
            names.add(f"id:{value}")
        elif kind == "ref":
            names.add(f"ref:{value}")
        elif kind == "environment":
            names.add(f"env:{value}")
        elif kind == "all":
            everyone = True
    with _lock:
        if everyone:
            woken = {w for watches in _index.values() for w in watches}
        else:
            woken = {w for name in names for w in _index.get(name, ())}
    for found in woken:
        found.wake()


_listening = False


def _listen() -> None:
    global _listening  # noqa: PLW0603 - registered once per process, on first watch
    with _lock:
        if not _listening:
            cache.watchers.append(changed)
            _listening = True
