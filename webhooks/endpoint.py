"""``POST /webhooks/stripe``: verify, store once, queue, answer at once."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from app.billing.webhooks import InvalidWebhook, ReceivedEvent, verify_for_accounts
from app.config import get_settings
from app.db import in_transaction
from app.environments.service import webhook_secrets
from app.models import Environment
from webhooks import store

router = APIRouter()

MAX_BODY = 1024 * 1024


def _accounts() -> list[tuple[str | None, list[str]]]:
    """Every account's signing secrets: the default one's, then each environment's own."""

    def read(session: Session) -> list[tuple[str | None, list[str]]]:
        query = select(Environment).where(
            col(Environment.stripe_webhook_secrets_sealed).is_not(None)
        )
        return [(e.id, webhook_secrets(e)) for e in session.exec(query).all()]

    default: list[tuple[str | None, list[str]]] = [(None, get_settings().webhook_secrets)]
    return default + in_transaction(read, write=False)


def _store(event: ReceivedEvent) -> bool:
    return in_transaction(lambda session: store.record(session, event)[1])


@router.post("/webhooks/stripe")
async def stripe_webhook(request: Request) -> JSONResponse:
    payload = await request.body()
    try:
        if len(payload) > MAX_BODY:
            raise InvalidWebhook("body too large for a Stripe event")
        accounts = await run_in_threadpool(_accounts)
        event = verify_for_accounts(payload, request.headers.get("Stripe-Signature"), accounts)
    except InvalidWebhook as exc:
        return JSONResponse({"error": {"code": exc.code, "message": exc.message}}, status_code=400)
    new = await run_in_threadpool(_store, event)
    return JSONResponse({"received": True, "duplicate": not new})
