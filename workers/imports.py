"""The bulk import's actor: applies one chunk of an import by its id."""

from __future__ import annotations

from typing import Any

from app.imports import service


def run_chunk(chunk_id: str) -> None:
    service.run_chunk(chunk_id)


ACTORS: list[tuple[Any, dict[str, Any]]] = [
    # A chunk is applied whole or not at all, so retrying after a lost connection or a
    # lock conflict is safe; a done chunk is not applied again.
    (
        run_chunk,
        {
            "actor_name": service.RUN_CHUNK,
            "max_retries": 5,
            "min_backoff": 200,
            "time_limit": 10 * 60 * 1000,
        },
    ),
]
