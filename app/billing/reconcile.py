"""Bring local subscriptions and customers in line with what Stripe says now.

Webhook handlers and the reconciliation sweep both end here, and both re-read the
object from Stripe instead of trusting an event's payload: whatever order events arrive
in, duplicated or late, each handler applies the current state, so every delivery order
ends in the same local state, and a lost event is repaired by the next read. Stripe is
read with no transaction open; what it said is then applied in one short transaction
that locks the customer row first (the one lock order every writer follows).

Stripe status -> local status:
- ``active`` / ``past_due`` -> ACTIVE (a PAYMENT_PENDING one is activated); past_due is
  the retry window, shown as paymentCollection FAILED
- ``trialing`` -> IN_TRIAL (activated likewise)
- ``canceled`` -> CANCELED (the fallback plan starts); ``incomplete_expired`` -> EXPIRED
- ``unpaid`` (the account's retries ran out) -> CANCELED like ``canceled``, and the Stripe
  subscription is cancelled too, since nothing unpaid is granted or invoiced further
- ``incomplete`` -> unchanged (payment still pending)

Reads of a subscription are numbered as they start (``billing_reads_started``, counted
up by the database under the row's lock, so two reads never share a number and no clock
is involved): a read numbered below the one last applied (``billing_read_applied``) is
older news and changes nothing. A read also answers every ``customer.subscription.*``
event about the subscription that was stored before it started, since Stripe had made
that change by then; those events are marked processed with it (or with the later read
that superseded it, which started later still), so a backlog of events about one
subscription costs one read of it rather than one each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe
import structlog
from sqlmodel import Session, col, select, update

from app import clock
from app.billing import state
from app.billing.client import gateway
from app.billing.subscriptions import invoice_summary, store_invoice
from app.customers.repository import lock_customer
from app.db import in_transaction
from app.models import Customer, Subscription
from app.models.base import utcnow
from app.models.subscriptions import ENDED_STATUSES, LIVE_STATUSES, SubscriptionStatus
from app.models.webhooks import EventState, WebhookEvent
from app.subscriptions import lifecycle, repository

log = structlog.get_logger(__name__)

LIVE = {s.value for s in LIVE_STATUSES}
ENDED = {s.value for s in ENDED_STATUSES}


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


@dataclass(frozen=True)
class RemoteSubscription:
    """What Stripe says of a subscription, read before any transaction opens."""

    billing_id: str
    status: str
    ended_at: int | None
    invoice: dict[str, Any] | None


def read_remote(environment_id: str, billing_id: str) -> RemoteSubscription:
    gw = gateway(environment_id)
    remote = gw.call(
        lambda: gw.stripe.v1.subscriptions.retrieve(
            billing_id, {"expand": ["latest_invoice", "latest_invoice.confirmation_secret"]}
        )
    )
    latest = remote.latest_invoice
    summary = (
        invoice_summary(environment_id, latest) if isinstance(latest, stripe.Invoice) else None
    )
    return RemoteSubscription(
        billing_id=billing_id, status=remote.status, ended_at=remote.ended_at, invoice=summary
    )


def _locked(session: Session, subscription_id: str) -> Subscription | None:
    """The subscription, after its customer row: the lock order of every writer."""
    customer_id = session.exec(
        select(Subscription.customer_id).where(Subscription.id == subscription_id)
    ).first()
    if customer_id is None:
        return None
    lock_customer(session, customer_id)
    return session.get(Subscription, subscription_id, with_for_update=True)


# The events a read of the subscription answers, by their type.
SUBSCRIPTION_EVENTS = "customer.subscription."
UNANSWERED = (EventState.PENDING.value, EventState.FAILED.value)
# At most this many answered by one read (one bound parameter each when marked); the
# rest are answered by their own reads.
MAX_ANSWERED = 500


def _unanswered_events(session: Session, billing_id: str) -> list[str]:
    """The stored ``customer.subscription.*`` events about ``billing_id`` still to process."""
    query = (
        select(WebhookEvent.id)
        .where(
            WebhookEvent.object_id == billing_id,
            col(WebhookEvent.type).startswith(SUBSCRIPTION_EVENTS),
            col(WebhookEvent.state).in_(UNANSWERED),
        )
        .limit(MAX_ANSWERED)
    )
    return list(session.exec(query))


def _number_read(session: Session, subscription_id: str) -> int:
    """The next read's number: counted up in the statement that locks the row, so a read
    that gets a higher number started (its Stripe request) after this one's transaction,
    and the events it saw, were committed."""
    table = Subscription.__table__  # type: ignore[attr-defined]
    statement = (
        update(table)
        .where(table.c.id == subscription_id)
        .values(billing_reads_started=table.c.billing_reads_started + 1)
        .returning(table.c.billing_reads_started)
    )
    return int(session.connection().execute(statement).scalar_one())


def _answer_events(session: Session, event_ids: list[str]) -> None:
    if not event_ids:
        return
    session.exec(
        update(WebhookEvent)
        .where(col(WebhookEvent.id).in_(event_ids), col(WebhookEvent.state).in_(UNANSWERED))
        .values(state=EventState.PROCESSED.value, processed_at=utcnow(), last_error=None)
    )


def apply_remote(
    session: Session,
    subscription: Subscription,
    remote: RemoteSubscription,
    number: int,
) -> None:
    """Apply what Stripe said in the read numbered ``number``."""
    now = clock.now()
    status = remote.status
    if status in ("active", "past_due", "trialing"):
        was_pending = subscription.status == SubscriptionStatus.PAYMENT_PENDING
        holders = repository.in_slot(
            session, subscription.customer_id, subscription.product_id, subscription.resource_id
        )
        lifecycle.activate_paid(session, subscription, now)
        if was_pending:
            # What the paid subscription replaced must end in Stripe too.
            for holder in holders:
                if holder.id != subscription.id and (
                    holder.billing_id is not None or holder.pricing_type == "PAID"
                ):
                    state.request_subscription_sync(session, holder)
    elif status in ("canceled", "incomplete_expired", "unpaid") and subscription.status in (
        *LIVE,
        SubscriptionStatus.PAYMENT_PENDING.value,
    ):
        ended = (
            SubscriptionStatus.EXPIRED
            if status == "incomplete_expired"
            else SubscriptionStatus.CANCELED
        )
        at = max(
            now if remote.ended_at is None else min(now, _time(remote.ended_at)),
            subscription.start_date,
        )
        lifecycle.end(session, subscription, at, ended, f"billing: {status}")
        if ended == SubscriptionStatus.CANCELED:
            lifecycle.fall_back(session, subscription, at, now)
        if status == "unpaid":
            # Retries ran out: nothing more is granted, so nothing more is invoiced.
            state.request_subscription_sync(session, subscription)
    if remote.invoice is not None:
        store_invoice(session, subscription, remote.invoice)
    subscription.billing_checked_at = now
    subscription.billing_read_applied = number
    session.add(subscription)
    session.flush()


@dataclass(frozen=True)
class _Before:
    """What is known before a read: where to read, its number, what it answers."""

    environment_id: str
    billing_id: str | None
    checkout_id: str | None
    number: int
    events: list[str]


def reconcile_subscription(subscription_id: str) -> None:
    def read(session: Session) -> _Before | None:
        subscription = session.get(Subscription, subscription_id)
        if subscription is None:
            return None
        billing_id = subscription.billing_id
        events: list[str] = []
        number = 0
        if billing_id is not None:
            # Committed with the number, before the Stripe request starts.
            events = _unanswered_events(session, billing_id)
            number = _number_read(session, subscription_id)
        return _Before(
            environment_id=subscription.environment_id,
            billing_id=billing_id,
            checkout_id=subscription.checkout_billing_id,
            number=number,
            events=events,
        )

    before = in_transaction(read)
    if before is None:
        return
    billing_id = before.billing_id
    if billing_id is None:
        if before.checkout_id is not None:
            reconcile_checkout(subscription_id)
        return
    remote = read_remote(before.environment_id, billing_id)

    def apply(session: Session) -> None:
        subscription = _locked(session, subscription_id)
        if subscription is None or subscription.billing_id != billing_id:
            return
        if subscription.billing_read_applied > before.number:
            # A read that started later was applied first: this one is older news, and
            # that read answered what this one would have.
            log.info("billing.read_superseded", subscription=subscription_id)
        else:
            apply_remote(session, subscription, remote, before.number)
        _answer_events(session, before.events)

    in_transaction(apply)


def reconcile_checkout(subscription_id: str) -> None:
    def read(session: Session) -> tuple[str, str | None] | None:
        subscription = session.get(Subscription, subscription_id)
        if subscription is None:
            return None
        return subscription.environment_id, subscription.checkout_billing_id

    found = in_transaction(read)
    if found is None:
        return
    environment_id, maybe_checkout = found
    if maybe_checkout is None:
        return
    checkout_id = maybe_checkout
    gw = gateway(environment_id)
    checkout = gw.call(lambda: gw.stripe.v1.checkout.sessions.retrieve(checkout_id))
    if checkout.status == "complete" and checkout.subscription:
        remote_id = (
            checkout.subscription
            if isinstance(checkout.subscription, str)
            else checkout.subscription.id
        )
        state.record_subscription_billing_id(subscription_id, remote_id)
        reconcile_subscription(subscription_id)
        return

    def apply(session: Session) -> None:
        subscription = _locked(session, subscription_id)
        if subscription is None:
            return
        now = clock.now()
        if (
            checkout.status == "expired"
            and subscription.status == SubscriptionStatus.PAYMENT_PENDING
        ):
            lifecycle.end(
                session,
                subscription,
                max(now, subscription.start_date),
                SubscriptionStatus.CANCELED,
                "checkout expired",
            )
        subscription.billing_checked_at = now
        session.add(subscription)

    in_transaction(apply)


def reconcile_customer(customer_id: str) -> None:
    def read(session: Session) -> tuple[str, str | None] | None:
        customer = session.get(Customer, customer_id)
        return None if customer is None else (customer.environment_id, customer.billing_id)

    found = in_transaction(read)
    if found is None:
        return
    environment_id, maybe_billing_id = found
    if maybe_billing_id is None:
        return
    billing_id = maybe_billing_id
    gw = gateway(environment_id)
    remote = gw.call(lambda: gw.stripe.v1.customers.retrieve(billing_id))
    settings = remote.invoice_settings
    has_default = settings is not None and settings.default_payment_method is not None

    def apply(session: Session) -> None:
        customer = lock_customer(session, customer_id)
        if customer is not None and customer.has_payment_method != has_default:
            customer.has_payment_method = has_default
            session.add(customer)

    in_transaction(apply)


def _time(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)
