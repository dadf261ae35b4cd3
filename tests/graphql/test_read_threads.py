"""Reads run on API_READ_THREADS threads at most; writes are not held behind them."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.graphql import compiled, customers
from tests.conftest import GraphQL

pytestmark = pytest.mark.usefixtures("catalog_applied")

READ = 'query { getCustomerByRefId(input: {customerId: "c-1"}) { customerId } }'


class Gauge:
    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.now = 0
        self.most = 0

    def __enter__(self) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
            self.lock.notify_all()

    def __exit__(self, *_: object) -> None:
        with self.lock:
            self.now -= 1

    def wait_for(self, count: int, seconds: float) -> None:
        """Until ``count`` are inside at once, or ``seconds`` pass (a loaded machine may
        take a while to start the next one)."""
        with self.lock:
            self.lock.wait_for(lambda: self.now >= count, seconds)


async def _no_plan(*_args: Any) -> None:
    return None


@pytest.fixture
def two_threads(settings: Settings) -> Settings:
    settings.api_read_threads = 2
    return settings


def _most_at_once(
    client: TestClient, api_key: str, monkeypatch: pytest.MonkeyPatch, bound: int, seconds: float
) -> int:
    """How many of eight concurrent reads ran at once at most: each is held until
    ``bound`` run together (or ``seconds`` have passed), then a moment more, so one
    beyond the bound would show beside them."""
    gauge = Gauge()
    real = customers._customer

    def slow(*args: Any, **kwargs: Any) -> Any:
        with gauge:
            gauge.wait_for(bound, seconds)
            time.sleep(0.05)
            return real(*args, **kwargs)

    monkeypatch.setattr(customers, "_customer", slow)

    def read(_: int) -> int:
        response = client.post("/graphql", json={"query": READ}, headers={"X-API-KEY": api_key})
        assert "errors" not in response.json(), response.json()
        return response.status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(read, range(8)))
    assert statuses == [200] * 8
    return gauge.most


@pytest.mark.usefixtures("two_threads")
def test_reads_run_on_the_read_threads_only(
    gql: GraphQL, client: TestClient, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The full path: a planned read runs in a unit of work shared with others instead.
    monkeypatch.setattr(compiled.Plans, "answer", _no_plan)
    gql('mutation { provisionCustomer(input: {customerId: "c-1"}) { customer { id } } }')

    assert _most_at_once(client, api_key, monkeypatch, bound=2, seconds=2.0) == 2


@pytest.mark.parametrize(("threads", "units"), [(4, 1), (8, 2)])
def test_planned_reads_run_a_unit_of_work_per_four_read_threads(
    gql: GraphQL,
    client: TestClient,
    api_key: str,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    threads: int,
    units: int,
) -> None:
    settings.api_read_threads = threads
    gql('mutation { provisionCustomer(input: {customerId: "c-1"}) { customer { id } } }')
    taught = client.post("/graphql", json={"query": READ}, headers={"X-API-KEY": api_key})
    assert "errors" not in taught.json()

    assert _most_at_once(client, api_key, monkeypatch, bound=units, seconds=0.5) == units
