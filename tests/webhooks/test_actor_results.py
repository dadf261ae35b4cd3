"""Actors keep no results: Dramatiq's results middleware warned on every message."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from workers import webhook_jobs
from workers.webhook_jobs import ACTORS


def test_registered_actors_return_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook_jobs, "process", lambda event_id: "processed")
    monkeypatch.setattr(
        webhook_jobs.sweep, "sweep", lambda stale_after: SimpleNamespace(differences=[1, 2])
    )
    by_name = {options["actor_name"]: fn for fn, options in ACTORS}

    assert by_name["webhooks.process_event"]("evt_1") is None
    assert by_name["billing.reconcile"]() is None
    assert webhook_jobs.process_event("evt_1") == "processed"
