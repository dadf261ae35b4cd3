"""``POST /webhooks/stripe``: verify, store once, queue, answer at once."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from app.billing.webhooks import InvalidWebhook, ReceivedEvent, verify
from app.config import get_settings
from app.db import in_transaction
from webhooks import store

router = APIRouter()

MAX_BODY = 1024 * 1024


def _store(event: ReceivedEvent) -> bool:
    return in_transaction(lambda session: store.record(session, event)[1])


@router.post("/webhooks/stripe")
async def stripe_webhook(request: Request) -> JSONResponse:
    payload = await request.body()
    try:
        if len(payload) > MAX_BODY:
            raise InvalidWebhook("body too large for a Stripe event")
        event = verify(
            payload, request.headers.get("Stripe-Signature"), get_settings().webhook_secrets
        )
    except InvalidWebhook as exc:
        return JSONResponse({"error": {"code": exc.code, "message": exc.message}}, status_code=400)
    new = await run_in_threadpool(_store, event)
    return JSONResponse({"received": True, "duplicate": not new})
