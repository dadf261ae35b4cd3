"""Job results in the embedded mode reach their waiter when stored, never by polling."""

from __future__ import annotations

import threading
import time
from typing import Any

import dramatiq
import dramatiq.results.backend
import pytest
from dramatiq.results import Results, ResultTimeout

from app.config import Settings
from workers import results
from workers.broker import build_broker
from workers.results import InProcessResults


def message() -> dramatiq.Message[Any]:
    return dramatiq.Message(
        queue_name="default", actor_name="billing.open_checkout", args=(), kwargs={}, options={}
    )


def test_a_waiter_gets_its_result_when_it_is_stored_without_polling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def polled(_seconds: float) -> None:
        raise AssertionError("the waiter slept to poll for its result")

    monkeypatch.setattr(dramatiq.results.backend.time, "sleep", polled)
    backend = InProcessResults()
    sent = message()
    got: list[Any] = []
    waiter = threading.Thread(
        target=lambda: got.append(backend.get_result(sent, block=True, timeout=30_000))
    )
    waiter.start()
    deadline = time.monotonic() + 5
    while not backend._stored._waiters and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.001)
    backend.store_result(sent, {"url": "https://checkout.example/1"}, 60_000)
    waiter.join(5)
    assert got == [{"url": "https://checkout.example/1"}]


def test_a_waiter_is_told_when_no_result_came_in_time() -> None:
    with pytest.raises(ResultTimeout):
        InProcessResults().get_result(message(), block=True, timeout=50)


def test_results_past_their_time_to_live_are_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(results.time, "monotonic", lambda: now[0])
    backend = InProcessResults()
    old, new = message(), message()
    backend.store_result(old, 1, 10_000)
    now[0] += 120
    backend.store_result(new, 2, 10_000)
    assert len(backend._results) == 1
    assert backend.get_result(new) == 2


def test_the_embedded_broker_keeps_its_results_with_it() -> None:
    previous = dramatiq.get_broker()
    try:
        settings = Settings(app_env="test", database_url="sqlite://", _env_file=None)  # type: ignore[call-arg]
        broker = build_broker(settings)
    finally:
        dramatiq.set_broker(previous)
    (middleware,) = [m for m in broker.middleware if isinstance(m, Results)]
    assert isinstance(middleware.backend, InProcessResults)
