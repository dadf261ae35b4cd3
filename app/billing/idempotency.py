"""Idempotency keys built from local ids and the operation.

The same operation on the same local objects always sends the same key, so a retried or
redelivered job replays Stripe's first answer instead of creating a second object.
When the intent changes (e.g. a new version of an update), the caller adds what changed
(``revision``) so the new request is not mistaken for a replay.
"""

from __future__ import annotations

import hashlib

PREFIX = "billing-sync"
MAX_LENGTH = 255  # Stripe's limit


def idempotency_key(operation: str, *ids: str, revision: str | None = None) -> str:
    parts = [PREFIX, operation, *ids]
    if revision is not None:
        parts.append(revision)
    key = ":".join(parts)
    if len(key) <= MAX_LENGTH:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{PREFIX}:{operation}:{digest}"
