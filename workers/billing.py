"""Actors that keep Stripe in step. Each takes ids, opens a unit of work, calls the
billing gateway, and lets Dramatiq retry (with backoff and jitter) only what a retry can
fix: the same idempotency key then replays Stripe's first answer."""

from __future__ import annotations

from typing import Any

import structlog
from sqlmodel import Session

from app.billing import catalog, customers, subscriptions
from app.billing.crypto import unseal
from app.customers.schemas import BillingInformation
from app.db import in_transaction
from app.models import Customer, Subscription

log = structlog.get_logger(__name__)


def should_retry(retries: int, error: BaseException) -> bool:
    """Retry transient failures (rate limits, outages, lost connections), not refusals."""
    return retries < 12 and bool(getattr(error, "retryable", True))


def sync_customer(customer_id: str, sealed: str | None = None) -> None:
    info = BillingInformation.model_validate(unseal(sealed)) if sealed else None

    def work(session: Session) -> None:
        customer = session.get(Customer, customer_id)
        if customer is None or customer.archived_at is not None:
            log.info("billing.customer.skipped", customer_id=customer_id)
            return
        customers.ensure_customer(session, customer, info)

    in_transaction(work)


def sync_subscription(subscription_id: str) -> None:
    def work(session: Session) -> None:
        subscription = session.get(Subscription, subscription_id, with_for_update=True)
        if subscription is not None:
            subscriptions.sync_subscription(session, subscription)

    in_transaction(work)


def create_checkout(subscription_id: str, options: dict[str, Any]) -> dict[str, str]:
    def work(session: Session) -> dict[str, str]:
        subscription = session.get(Subscription, subscription_id, with_for_update=True)
        if subscription is None:
            raise LookupError(f"subscription {subscription_id} does not exist")
        if subscription.checkout_url and subscription.checkout_billing_id:
            return {
                "url": subscription.checkout_url,
                "billing_id": subscription.checkout_billing_id,
            }
        created = subscriptions.create_checkout(session, subscription, options)
        return {"url": created.url, "billing_id": created.billing_id}

    return in_transaction(work)


def sync_catalog(environment_id: str) -> int:
    return in_transaction(lambda session: catalog.sync_catalog(session, environment_id))


def record_failure(message_data: dict[str, Any], exception_data: dict[str, Any]) -> None:
    """Give up visibly: the subscription shows why it is not in Stripe."""
    subscription_id = (message_data.get("kwargs") or {}).get("subscription_id")
    if not subscription_id:
        return

    def work(session: Session) -> None:
        subscription = session.get(Subscription, subscription_id)
        if subscription is not None:
            subscription.billing_sync_error = str(exception_data.get("message", ""))[:500]
            session.add(subscription)

    in_transaction(work)
    log.error(
        "billing.sync_failed", subscription_id=subscription_id, error=exception_data.get("type")
    )


_RETRYING = {"retry_when": should_retry, "min_backoff": 500, "max_backoff": 5 * 60 * 1000}

ACTORS: list[tuple[Any, dict[str, Any]]] = [
    (sync_customer, {"actor_name": "billing.sync_customer", **_RETRYING}),
    (
        sync_subscription,
        {
            "actor_name": "billing.sync_subscription",
            "store_results": True,
            **_RETRYING,
            "on_failure": "billing.record_failure",
        },
    ),
    (
        create_checkout,
        {
            "actor_name": "billing.create_checkout",
            "store_results": True,
            **_RETRYING,
            "on_failure": "billing.record_failure",
        },
    ),
    (sync_catalog, {"actor_name": "billing.sync_catalog", **_RETRYING}),
    (record_failure, {"actor_name": "billing.record_failure", "max_retries": 3}),
]
