"""The entitlements of the customers this process asked about, kept in memory.

An entry holds one (customer, resource)'s entitlements as the service last sent them
(``cachedEntitlements``, or a push message), and answers a check locally: the grant,
its limit and the current usage are in the entry, and the rule the service applies to a
requested usage or requested values (``within_limit`` on the service) is applied here
the same way. A feature the entry does not hold is not granted; why (no such feature,
no subscription, an unknown customer...) only the service can say, so the first check
of such a feature goes to the service and its answer is kept beside the entry until the
entry is replaced.

An entry is fresh while the push channel keeps it (every change replaces it whole), up
to ``push_ttl`` seconds since it was last replaced (the safety net for a change the
channel missed), or, without the channel, for ``ttl`` seconds. An entry whose usage
period has ended is not fresh: its usage has been reset on the service.

Entries are replaced whole, never edited in place (but for a usage value a report just
set), so a reader in another thread always sees one consistent entry.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from billing_sync_sdk._generated.enums import AccessDeniedReason, FeatureType, MeterType
from billing_sync_sdk._generated.fragments import EntitlementFields

CacheKey = tuple[str, str | None]  # customer refId, resource id

_NOT_METERED = (None, MeterType.None_)


@dataclass(slots=True)
class Entry:
    entitlements: dict[str, EntitlementFields]
    loaded_at: float
    # The earliest end of a usage period among the entitlements (epoch seconds).
    valid_until: float | None
    # Answers the service gave for features the entry does not hold.
    answers: dict[str, EntitlementFields] = field(default_factory=dict)
    # Kept fresh by the push channel (its subscription has delivered this entry).
    pushed: bool = False


def _epoch(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _valid_until(entitlements: list[EntitlementFields]) -> float | None:
    ends = [_epoch(e.usage_period_end) for e in entitlements]
    found = [end for end in ends if end is not None]
    return min(found) if found else None


def decide(
    held: EntitlementFields,
    requested_usage: float | None,
    requested_values: list[str] | None,
) -> EntitlementFields:
    """``held`` (an entitlement the customer has) checked against a request."""
    reason: AccessDeniedReason | None = None
    feature = held.feature
    kind = feature.feature_type if feature is not None else None
    if kind == FeatureType.ENUM:
        allowed = set(held.enum_values or ())
        if requested_values and not set(requested_values) <= allowed:
            reason = AccessDeniedReason.RequestedValuesMismatch
    elif (
        kind == FeatureType.NUMBER
        and feature is not None
        and feature.meter_type not in _NOT_METERED
        and not (held.has_unlimited_usage or held.has_soft_limit)
    ):
        used = (held.current_usage or 0.0) + (requested_usage or 0.0)
        if held.usage_limit is None or used > held.usage_limit:
            reason = AccessDeniedReason.RequestedUsageExceedingLimit
    return held.model_copy(
        update={
            "is_granted": reason is None,
            "access_denied_reason": reason,
            "requested_usage": requested_usage,
            "requested_values": requested_values,
        }
    )


class EntitlementCache:
    def __init__(
        self,
        ttl: float,
        max_entries: int = 10_000,
        push_ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.push_ttl = push_ttl
        self.max_entries = max_entries
        # Seconds on a clock that never goes back: an entry's age is measured on it.
        self.clock = clock
        self._entries: OrderedDict[CacheKey, Entry] = OrderedDict()
        # Whether the push channel is connected now (set by it).
        self.push_connected = False

    def __len__(self) -> int:
        return len(self._entries)

    def keys(self) -> list[CacheKey]:
        return list(self._entries)

    def fresh(self, key: CacheKey) -> Entry | None:
        """The entry, if it may answer a check now."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        now = time.time()
        if entry.valid_until is not None and entry.valid_until <= now:
            return None
        ttl = self.push_ttl if entry.pushed and self.push_connected else self.ttl
        return entry if self.clock() - entry.loaded_at <= ttl else None

    def last_known(self, key: CacheKey) -> Entry | None:
        """The entry, however old (the fallback when the service cannot be reached)."""
        return self._entries.get(key)

    def store(
        self, key: CacheKey, entitlements: list[EntitlementFields], *, pushed: bool = False
    ) -> Entry:
        entry = Entry(
            entitlements={e.feature.ref_id: e for e in entitlements if e.feature is not None},
            loaded_at=self.clock(),
            valid_until=_valid_until(entitlements),
            pushed=pushed or self._held_pushed(key),
        )
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return entry

    def _held_pushed(self, key: CacheKey) -> bool:
        held = self._entries.get(key)
        return held is not None and held.pushed

    def remember(self, key: CacheKey, feature_id: str, answer: EntitlementFields) -> None:
        """The service's answer for a feature the entry does not hold."""
        entry = self._entries.get(key)
        if entry is not None and feature_id not in entry.entitlements:
            entry.answers[feature_id] = answer

    def usage_reported(
        self,
        key: CacheKey,
        feature_id: str,
        current_usage: float | None,
        period: tuple[str | None, str | None],
    ) -> None:
        """A report's answer: the feature's usage is now ``current_usage``."""
        entry = self._entries.get(key)
        held = entry.entitlements.get(feature_id) if entry is not None else None
        if entry is None or held is None or current_usage is None:
            return
        update: dict[str, object] = {"current_usage": current_usage}
        if period[1] is not None:
            update["usage_period_start"], update["usage_period_end"] = period
        entry.entitlements[feature_id] = held.model_copy(update=update)

    def disconnected(self) -> None:
        """The push channel is down: entries are fresh for ``ttl`` from now at most."""
        self.push_connected = False
        # Pushed entries were current until now: what changes from now on is seen by
        # their next load, ``ttl`` from now at the latest.
        now = self.clock()
        for entry in list(self._entries.values()):
            if entry.pushed:
                entry.pushed = False
                entry.loaded_at = now

    def drop(self, key: CacheKey) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()
