"""Verifying Stripe's webhook signatures (300 s tolerance, several secrets while
rotating) and reading the few fields an event is stored with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import stripe

from app.errors import AppError

TOLERANCE_SECONDS = 300


class InvalidWebhook(AppError):
    code = "WEBHOOK_INVALID"


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
    """Verify against each account's secrets (the default account first); the event
    remembers whose secret signed it."""
    if not any(secrets for _, secrets in accounts):
        raise InvalidWebhook("no webhook signing secret is configured")
    failure: InvalidWebhook | None = None
    for account, secrets in accounts:
        if not secrets:
            continue
        try:
            event = verify(payload, signature, secrets)
        except InvalidWebhook as exc:
            failure = exc
            continue
        return ReceivedEvent(**{**event.__dict__, "account_environment_id": account})
    assert failure is not None
    raise failure


def verify(payload: bytes, signature: str | None, secrets: list[str]) -> ReceivedEvent:
    if not signature:
        raise InvalidWebhook("missing Stripe-Signature header")
    if not secrets:
        raise InvalidWebhook("no webhook signing secret is configured")
    event: stripe.Event | None = None
    for secret in secrets:
        try:
            event = stripe.Webhook.construct_event(
                payload, signature, secret, tolerance=TOLERANCE_SECONDS
            )
            break
        except stripe.SignatureVerificationError:
            continue
        except ValueError:
            raise InvalidWebhook("the body is not a Stripe event") from None
    if event is None:
        raise InvalidWebhook("signature does not match (wrong secret, altered body or too old)")
    data = event.data.object if event.data is not None else None
    object_id = getattr(data, "id", None) if data is not None else None
    object_type = getattr(data, "object", None) if data is not None else None
    return ReceivedEvent(
        id=event.id,
        type=event.type,
        created=datetime.fromtimestamp(event.created, UTC),
        object_id=object_id if isinstance(object_id, str) else None,
        object_type=object_type if isinstance(object_type, str) else None,
    )
