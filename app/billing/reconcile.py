"""Bring local subscriptions and customers in line with what Stripe says now.

Webhook handlers and the reconciliation sweep both end here, and both re-read the
object from Stripe instead of trusting an event's payload: whatever order events arrive
in, duplicated or late, each handler applies the current state, so every delivery order
ends in the same local state, and a lost event is repaired by the next read.

Stripe status -> local status:
- ``active`` / ``past_due`` / ``unpaid`` -> ACTIVE (a PAYMENT_PENDING one is activated)
- ``trialing`` -> IN_TRIAL (activated likewise)
- ``canceled`` -> CANCELED; ``incomplete_expired`` -> EXPIRED
- ``incomplete`` -> unchanged (payment still pending)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

import structlog
from sqlmodel import Session, col, or_, select

from app import clock
from app.billing.client import gateway
from app.billing.subscriptions import record_invoice
from app.db import in_transaction, unit_of_work
from app.models import Customer, Subscription
from app.models.subscriptions import LIVE_STATUSES, SubscriptionStatus
from app.subscriptions import lifecycle

log = structlog.get_logger(__name__)

LIVE = {s.value for s in LIVE_STATUSES}


def subscription_by_billing_ids(
    session: Session,
    *,
    billing_id: str | None = None,
    checkout_id: str | None = None,
    ref_id: str | None = None,
    environment_id: str | None = None,
) -> Subscription | None:
    if billing_id:
        found = session.exec(
            select(Subscription).where(Subscription.billing_id == billing_id)
        ).first()
        if found is not None:
            return found
    if checkout_id:
        found = session.exec(
            select(Subscription).where(Subscription.checkout_billing_id == checkout_id)
        ).first()
        if found is not None:
            return found
    if ref_id and environment_id:
        return session.exec(
            select(Subscription).where(
                Subscription.environment_id == environment_id, Subscription.ref_id == ref_id
            )
        ).first()
    return None


def reconcile_subscription(session: Session, subscription: Subscription) -> None:
    now = clock.now()
    if subscription.billing_id is None:
        if subscription.checkout_billing_id is not None:
            reconcile_checkout(session, subscription)
        return
    gw = gateway()
    billing_id = subscription.billing_id
    remote = gw.call(
        lambda: gw.stripe.v1.subscriptions.retrieve(
            billing_id, {"expand": ["latest_invoice", "latest_invoice.confirmation_secret"]}
        )
    )
    status = remote.status
    if status in ("active", "past_due", "unpaid", "trialing"):
        lifecycle.activate_paid(session, subscription, now)
    elif status in ("canceled", "incomplete_expired") and subscription.status in (
        *LIVE,
        SubscriptionStatus.PAYMENT_PENDING.value,
    ):
        ended = SubscriptionStatus.CANCELED if status == "canceled" else SubscriptionStatus.EXPIRED
        at = max(
            now if remote.ended_at is None else min(now, _time(remote.ended_at)),
            subscription.start_date,
        )
        lifecycle.end(session, subscription, at, ended, f"billing: {status}")
        if ended == SubscriptionStatus.CANCELED:
            lifecycle.fall_back(session, subscription, at, now)
    latest = remote.latest_invoice
    if latest is not None and not isinstance(latest, str):
        record_invoice(session, subscription, latest)
    subscription.billing_checked_at = now
    session.add(subscription)
    session.flush()


def reconcile_checkout(session: Session, subscription: Subscription) -> None:
    checkout_id = subscription.checkout_billing_id
    if checkout_id is None:
        return
    gw = gateway()
    checkout = gw.call(lambda: gw.stripe.v1.checkout.sessions.retrieve(checkout_id))
    now = clock.now()
    if checkout.status == "complete" and checkout.subscription:
        remote_id = (
            checkout.subscription
            if isinstance(checkout.subscription, str)
            else checkout.subscription.id
        )
        subscription.billing_id = remote_id
        session.add(subscription)
        session.flush()
        reconcile_subscription(session, subscription)
    elif checkout.status == "expired" and subscription.status == SubscriptionStatus.PAYMENT_PENDING:
        lifecycle.end(
            session,
            subscription,
            max(now, subscription.start_date),
            SubscriptionStatus.CANCELED,
            "checkout expired",
        )
    subscription.billing_checked_at = now
    session.add(subscription)
    session.flush()


def reconcile_customer(session: Session, customer: Customer) -> None:
    if customer.billing_id is None:
        return
    gw = gateway()
    billing_id = customer.billing_id
    remote = gw.call(lambda: gw.stripe.v1.customers.retrieve(billing_id))
    settings = remote.invoice_settings
    has_default = settings is not None and settings.default_payment_method is not None
    if customer.has_payment_method != has_default:
        customer.has_payment_method = has_default
        session.add(customer)
        session.flush()


def _time(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def due_for_sweep(session: Session, stale_after_seconds: float) -> list[str]:
    """Subscriptions whose Stripe side may have moved without us hearing of it."""
    now = clock.now()
    stale = now - timedelta(seconds=stale_after_seconds)
    query = select(Subscription.id).where(
        or_(
            col(Subscription.billing_id).is_not(None),
            col(Subscription.checkout_billing_id).is_not(None),
        ),
        or_(
            Subscription.status == SubscriptionStatus.PAYMENT_PENDING.value,
            col(Subscription.payment_collection) != "NOT_REQUIRED",
            col(Subscription.billing_checked_at).is_(None),
            col(Subscription.billing_checked_at) < stale,
        ),
        col(Subscription.status).in_([*LIVE, SubscriptionStatus.PAYMENT_PENDING.value]),
    )
    return list(session.exec(query.limit(1000)))


def sweep(stale_after_seconds: float) -> int:
    """Re-read Stripe for every pending or stale subscription; returns how many."""
    with unit_of_work() as session:
        ids = due_for_sweep(session, stale_after_seconds)
    done = 0
    for subscription_id in ids:
        try:
            in_transaction(partial(_reconcile_one, subscription_id=subscription_id))
            done += 1
        except Exception:
            log.exception("billing.reconcile_failed", subscription_id=subscription_id)
    log.info("billing.swept", checked=done, due=len(ids))
    return done


def _reconcile_one(session: Session, *, subscription_id: str) -> None:
    subscription = session.get(Subscription, subscription_id, with_for_update=True)
    if subscription is not None:
        reconcile_subscription(session, subscription)
