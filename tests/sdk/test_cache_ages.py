"""How long the SDK's entitlement cache uses an entry, with and without the push channel."""

from __future__ import annotations

import pytest
from billing_sync_sdk.cache import EntitlementCache

from tests.sdk.conftest import Clock

KEY = ("customer-1", None)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_an_entry_the_channel_keeps_is_loaded_again_after_the_push_ttl(clock: Clock) -> None:
    cache = EntitlementCache(ttl=30, push_ttl=300, clock=clock)
    cache.push_connected = True
    cache.store(KEY, [], pushed=True)

    clock.now += 299
    assert cache.fresh(KEY) is not None
    clock.now += 2
    assert cache.fresh(KEY) is None


def test_a_push_starts_the_entrys_age_afresh(clock: Clock) -> None:
    cache = EntitlementCache(ttl=30, push_ttl=300, clock=clock)
    cache.push_connected = True
    cache.store(KEY, [], pushed=True)
    clock.now += 200
    cache.store(KEY, [], pushed=True)

    clock.now += 200
    assert cache.fresh(KEY) is not None


def test_without_the_channel_an_entry_is_used_for_the_ttl(clock: Clock) -> None:
    cache = EntitlementCache(ttl=30, push_ttl=300, clock=clock)
    cache.store(KEY, [])

    clock.now += 29
    assert cache.fresh(KEY) is not None
    clock.now += 2
    assert cache.fresh(KEY) is None


def test_when_the_channel_drops_its_entries_get_the_ttl_from_then(clock: Clock) -> None:
    cache = EntitlementCache(ttl=30, push_ttl=300, clock=clock)
    cache.push_connected = True
    cache.store(KEY, [], pushed=True)
    clock.now += 100
    cache.disconnected()

    clock.now += 29
    assert cache.fresh(KEY) is not None
    clock.now += 2
    assert cache.fresh(KEY) is None


def test_the_client_passes_its_push_ttl_to_its_cache() -> None:
    from billing_sync_sdk import BillingSync

    client = BillingSync.create_client(
        api_key="k", api_url="http://127.0.0.1:9", push=False, cache_push_ttl=42
    )
    with client:
        cache = client.async_client.cache
        assert cache is not None
        assert cache.push_ttl == 42
