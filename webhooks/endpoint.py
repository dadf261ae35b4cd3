"""``POST /webhooks/stripe``: verify, store once (``webhooks.intake``), queue, answer.

The body is read in chunks and the read stops at ``MAX_BODY``: a request that declares
or sends more is answered 413 without holding the rest in memory. Every refusal is a
JSON ``{"error": {"code", "message"}}`` with a 4xx status.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.routing import Route

from app.billing.webhooks import (
    InvalidWebhook,
    MalformedEvent,
    verify_for_accounts,
)
from app.config import get_settings
from app.db import in_transaction
from app.environments.service import webhook_secrets
from app.models import Environment
from webhooks import store
from webhooks.intake import intake

MAX_BODY = 1024 * 1024


class BodyTooLarge(InvalidWebhook):
    code = "PAYLOAD_TOO_LARGE"
    http_status = 413


# Signing secrets are read again at most this often: a secret added or rotated through
# the CLI is used within it, and a burst of deliveries costs one read, not one each.
ACCOUNTS_SECONDS = 1.0
monotonic: Callable[[], float] = time.monotonic
_accounts_read: tuple[float, list[tuple[str | None, list[str]]]] | None = None


def _fresh_accounts() -> list[tuple[str | None, list[str]]] | None:
    """The accounts read less than ``ACCOUNTS_SECONDS`` ago, if any: no database, no
    thread, so a delivery in a burst stays on the event loop."""
    read = _accounts_read
    if read is None or monotonic() - read[0] > ACCOUNTS_SECONDS:
        return None
    return read[1]


def _cached_accounts() -> list[tuple[str | None, list[str]]]:
    global _accounts_read  # noqa: PLW0603 - one process-wide copy, replaced whole
    fresh = _fresh_accounts()
    if fresh is not None:
        return fresh
    now = monotonic()
    _accounts_read = (now, _accounts())
    return _accounts_read[1]


def forget_accounts() -> None:
    global _accounts_read  # noqa: PLW0603
    _accounts_read = None


def _accounts() -> list[tuple[str | None, list[str]]]:
    """Every account's signing secrets: the default one's, then each environment's own."""

    def read(session: Session) -> list[tuple[str | None, list[str]]]:
        query = select(Environment).where(
            col(Environment.stripe_webhook_secrets_sealed).is_not(None)
        )
        return [(e.id, webhook_secrets(e)) for e in session.exec(query).all()]

    default: list[tuple[str | None, list[str]]] = [(None, get_settings().webhook_secrets)]
    return default + in_transaction(read, write=False)


def _store_malformed(refused: MalformedEvent) -> None:
    in_transaction(lambda session: store.record_malformed(session, refused))


async def _read_body(request: Request) -> bytes:
    too_large = BodyTooLarge(f"the body is larger than {MAX_BODY} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise too_large
    return bytes(body)


def _refusal(exc: InvalidWebhook) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": exc.code, "message": exc.message}}, status_code=exc.http_status
    )


# The answers to a stored delivery, by whether it was new.
_ANSWERS = {
    True: b'{"received":true,"duplicate":false}',
    False: b'{"received":true,"duplicate":true}',
}


async def stripe_webhook(request: Request) -> Response:
    try:
        payload = await _read_body(request)
        accounts = _fresh_accounts()
        if accounts is None:
            accounts = await run_in_threadpool(_cached_accounts)
        event = verify_for_accounts(payload, request.headers.get("Stripe-Signature"), accounts)
    except MalformedEvent as exc:
        await run_in_threadpool(_store_malformed, exc)
        return _refusal(exc)
    except InvalidWebhook as exc:
        return _refusal(exc)
    new = await intake().store(event)
    return Response(_ANSWERS[new], media_type="application/json")


# A Starlette route: the endpoint takes the request alone, so FastAPI's dependency
# resolution would be work for nothing on every delivery.
route = Route("/webhooks/stripe", stripe_webhook, methods=["POST"])
