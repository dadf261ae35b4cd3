"""What starting the application does to the process, however many start in it."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.config import Settings
from app.main import create_app


def test_only_the_first_application_of_a_process_freezes_what_is_loaded(
    engine: Engine, settings: Settings
) -> None:
    with TestClient(create_app(settings)):
        pass
    frozen = gc.get_freeze_count()
    assert frozen > 0
    # Objects made since stay collectable when another one starts (frozen ones may die,
    # none is added).
    leftovers = [[n] for n in range(1_000)]
    with TestClient(create_app(settings)):
        assert gc.get_freeze_count() <= frozen
    del leftovers
