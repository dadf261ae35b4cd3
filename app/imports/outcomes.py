"""What happened to each imported row, and the entitlement changes a chunk made."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

# ("customer", customer row id) | ("ref", "<environment id>:<customer refId>"), as
# app.entitlements.cache names the states a change makes stale.
Change = tuple[str, str]


class Outcome(StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    UNCHANGED = "UNCHANGED"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"


@dataclass
class ChunkResult:
    """Each row's outcome (with a reason when skipped or failed), by its index."""

    outcomes: dict[int, tuple[Outcome, str | None]] = field(default_factory=dict)
    changes: set[Change] = field(default_factory=set)

    def set(self, index: int, outcome: Outcome, reason: str | None = None) -> None:
        self.outcomes[index] = (outcome, reason)
