"""Verifying Stripe's webhook signatures and reading the few fields an event is stored with.

The signature is checked with the SDK (several secrets while rotating), and its
timestamp must lie within 300 s of now in either direction: the SDK only refuses old
ones, and a signature dated ahead would otherwise stay replayable until that date.

The body is then read here rather than by ``stripe.Webhook.construct_event``, so that a
validly signed body that is not a usable event (an array, ``{}``, a string ``created``,
an id too long for the store) is refused field by field. ``MalformedEvent.event_id``
carries the event's id when the id itself is usable, so the refusal can be recorded.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe

from app.errors import AppError

TOLERANCE_SECONDS = 300
# What the event store's columns hold.
MAX_EVENT_ID = 255
MAX_TYPE = 100
MAX_OBJECT_ID = 255
MAX_OBJECT_TYPE = 64
# 9999-12-31T23:59:59Z: the last second a datetime holds.
MAX_CREATED = 253402300799


class InvalidWebhook(AppError):
    code = "WEBHOOK_INVALID"


class MalformedEvent(InvalidWebhook):
    """Signed by Stripe's secret, but not an event the service can store."""

    code = "WEBHOOK_MALFORMED"

    def __init__(
        self, message: str, *, event_id: str | None = None, account: str | None = None
    ) -> None:
        super().__init__(message)
        self.event_id = event_id
        # Whose secret signed it, as ``ReceivedEvent.account_environment_id``.
        self.account_environment_id = account


@dataclass(frozen=True)
class ReceivedEvent:
    id: str
    type: str
    created: datetime
    object_id: str | None
    object_type: str | None
    # The environment whose own Stripe account signed it; None for the default account.
    account_environment_id: str | None = None


def verify_for_accounts(
    payload: bytes, signature: str | None, accounts: list[tuple[str | None, list[str]]]
) -> ReceivedEvent:
    """Verify against each account's secrets (the default account first), then read the
    event; the event remembers whose secret signed it."""
    if not any(secrets for _, secrets in accounts):
        raise InvalidWebhook("no webhook signing secret is configured")
    failure: InvalidWebhook | None = None
    for account, secrets in accounts:
        if not secrets:
            continue
        try:
            check_signature(payload, signature, secrets)
        except InvalidWebhook as exc:
            failure = exc
            continue
        return read_event(payload, account)
    assert failure is not None
    raise failure


def verify(payload: bytes, signature: str | None, secrets: list[str]) -> ReceivedEvent:
    check_signature(payload, signature, secrets)
    return read_event(payload, None)


def check_signature(
    payload: bytes, signature: str | None, secrets: list[str], now: float | None = None
) -> None:
    """Refuse unless one of ``secrets`` signed ``payload`` within the tolerance."""
    if not signature:
        raise InvalidWebhook("missing Stripe-Signature header")
    if not secrets:
        raise InvalidWebhook("no webhook signing secret is configured")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidWebhook("the body is not valid UTF-8") from None
    current = time.time() if now is None else now
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(text, signature, secret, tolerance=None)
        except (stripe.SignatureVerificationError, TypeError):
            # TypeError: a signature with non-ASCII characters cannot be compared.
            continue
        if abs(int(current) - _timestamp(signature)) > TOLERANCE_SECONDS:
            raise InvalidWebhook(
                f"the signature's timestamp is more than {TOLERANCE_SECONDS} s from now"
            )
        return
    raise InvalidWebhook("signature does not match (wrong secret or altered body)")


def _timestamp(signature: str) -> int:
    # The SDK has accepted the header, so it holds one parsable ``t=`` item.
    for item in signature.split(","):
        parts = item.split("=", 2)
        if parts[0] == "t":
            return int(parts[1])
    raise InvalidWebhook("the signature has no timestamp")  # pragma: no cover


def _string(value: Any, name: str, limit: int) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    if not value:
        raise ValueError(f"{name} must not be empty")
    if len(value) > limit:
        raise ValueError(f"{name} must be at most {limit} characters")
    if not value.isprintable():
        raise ValueError(f"{name} must not contain control characters such as NUL")
    return value


def _optional_string(value: Any, name: str, limit: int) -> str | None:
    return None if value is None else _string(value, name, limit)


def _created(value: Any) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("created must be a Unix timestamp (an integer)")
    if not 0 <= value <= MAX_CREATED:
        raise ValueError("created is not a Unix timestamp between 1970 and 9999")
    return datetime.fromtimestamp(value, UTC)


def _parse(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except RecursionError:
        raise MalformedEvent("the body is nested too deep to read") from None
    except ValueError:
        # Not JSON, or a number of more digits than Python converts.
        raise MalformedEvent("the body is not a JSON document") from None


def read_event(payload: bytes, account: str | None) -> ReceivedEvent:
    """The stored fields of a signed event, or ``MalformedEvent`` naming the problem."""
    body = _parse(payload)
    if not isinstance(body, dict):
        raise MalformedEvent("the body is not a JSON object (a Stripe event)")
    try:
        event_id = _string(body.get("id"), "id", MAX_EVENT_ID)
    except ValueError as exc:
        raise MalformedEvent(f"the event's {exc}") from None
    try:
        kind = _string(body.get("type"), "type", MAX_TYPE)
        created = _created(body.get("created"))
        data = body.get("data")
        if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
            raise ValueError("data.object must be an object")
        about: dict[str, Any] = data["object"]
        object_id = _optional_string(about.get("id"), "data.object.id", MAX_OBJECT_ID)
        object_type = _optional_string(about.get("object"), "data.object.object", MAX_OBJECT_TYPE)
    except ValueError as exc:
        raise MalformedEvent(f"the event's {exc}", event_id=event_id, account=account) from None
    return ReceivedEvent(
        id=event_id,
        type=kind,
        created=created,
        object_id=object_id,
        object_type=object_type,
        account_environment_id=account,
    )
