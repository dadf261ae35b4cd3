"""Actors that keep Stripe in step. Each takes ids and calls one reconciler in
``app.billing``, which opens its own short transactions around the Stripe calls; Dramatiq
retries (with backoff and jitter) only what a retry can fix."""

from __future__ import annotations

from typing import Any

import structlog

from app.billing import catalog, checkout, customers, state, subscriptions
from app.billing.crypto import unseal
from app.customers.schemas import BillingInformation

log = structlog.get_logger(__name__)


MAX_RETRIES = 12


def should_retry(retries: int, error: BaseException) -> bool:
    """Retry transient failures (rate limits, outages, lost connections), not refusals."""
    return retries < MAX_RETRIES and bool(getattr(error, "retryable", True))


def sync_customer(
    customer_id: str, generation: int | None = None, sealed: str | None = None
) -> None:
    info = BillingInformation.model_validate(unseal(sealed)) if sealed else None
    customers.sync_customer(customer_id, info, generation)


def sync_subscription(subscription_id: str) -> None:
    subscriptions.sync_subscription(subscription_id)


def create_checkout(
    subscription_id: str, options: dict[str, Any], customer_id: str | None = None
) -> dict[str, str] | None:
    created = checkout.create_checkout(subscription_id, options, customer_id=customer_id)
    return None if created is None else {"url": created.url, "billing_id": created.billing_id}


def sync_catalog(environment_id: str) -> None:
    # Nothing is returned: no one stores the count, and Dramatiq warns about a value
    # an actor returns without storing it.
    in_stripe = catalog.sync_catalog(environment_id)
    log.info("billing.catalog.synced", environment_id=environment_id, objects=in_stripe)


def record_failure(message_data: dict[str, Any], exception_data: dict[str, Any]) -> None:
    """Give up visibly: the object shows why it is not in Stripe (a stable code and a
    safe message; the exception itself goes to the log only)."""
    kwargs = message_data.get("kwargs") or {}
    error_type = str(exception_data.get("type", ""))
    # Dramatiq calls this after every failed attempt; the retry middleware has counted
    # this one already. Only the last attempt is a failure to record.
    attempt = int((message_data.get("options") or {}).get("retries", 1)) - 1
    if state.is_retryable(error_type) and attempt < MAX_RETRIES:
        return
    error = state.JobGaveUp(error_type)
    if kwargs.get("subscription_id"):
        state.record_subscription_failure(kwargs["subscription_id"], error)
    elif kwargs.get("customer_id"):
        card_generation = kwargs.get("generation") if kwargs.get("sealed") else None
        state.record_customer_failure(kwargs["customer_id"], error, card_generation=card_generation)
    log.error(
        "billing.sync_failed",
        actor=message_data.get("actor_name"),
        error=exception_data.get("type"),
        **{k: v for k, v in kwargs.items() if k in ("subscription_id", "customer_id")},
    )


_RETRYING = {
    "retry_when": should_retry,
    "min_backoff": 500,
    "max_backoff": 5 * 60 * 1000,
    "on_failure": "billing.record_failure",
}

ACTORS: list[tuple[Any, dict[str, Any]]] = [
    (sync_customer, {"actor_name": state.SYNC_CUSTOMER, **_RETRYING}),
    (
        sync_subscription,
        {"actor_name": state.SYNC_SUBSCRIPTION, "store_results": True, **_RETRYING},
    ),
    (create_checkout, {"actor_name": state.CREATE_CHECKOUT, "store_results": True, **_RETRYING}),
    (sync_catalog, {"actor_name": "billing.sync_catalog", **_RETRYING}),
    (record_failure, {"actor_name": "billing.record_failure", "max_retries": 3}),
]
