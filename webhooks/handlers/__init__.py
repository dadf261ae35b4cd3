"""What each Stripe event does locally.

Every handler re-reads the object from Stripe (with no transaction open) and reconciles
(``app.billing.reconcile``) rather than applying the event's payload, so arrival order
and duplicates do not matter. Events about objects billing-sync did not create (no
local match and no billing-sync metadata) are ignored; events whose local row is not
there yet are retried.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from sqlmodel import Session, col, select

from app.billing import reconcile, state
from app.billing.client import gateway
from app.db import in_transaction
from app.models import Customer, Subscription
from app.models.webhooks import WebhookEvent

log = structlog.get_logger(__name__)


class NotOurs(Exception):
    """The event is about an object billing-sync does not manage."""


class NotYetKnown(Exception):
    """The event names a local object that is not committed yet: try again later."""


def _find(
    *,
    billing_id: str | None = None,
    checkout_id: str | None = None,
    metadata: object = None,
) -> str | None:
    """The local subscription's id, by Stripe ids or by billing-sync's metadata."""
    get = getattr(metadata, "get", None)
    ref_id = get("billing_sync_subscription_id") if get is not None else None
    environment_id = get("billing_sync_environment_id") if get is not None else None

    def work(session: Session) -> str | None:
        found = reconcile.subscription_by_billing_ids(
            session,
            billing_id=billing_id,
            checkout_id=checkout_id,
            ref_id=str(ref_id) if ref_id else None,
            environment_id=str(environment_id) if environment_id else None,
        )
        return None if found is None else found.id

    local = in_transaction(work)
    if local is None and ref_id and environment_id:
        raise NotYetKnown(f"subscription {ref_id} is not stored yet")
    return local


def _customer_by_billing_id(billing_id: str) -> str | None:
    return in_transaction(
        lambda session: session.exec(
            select(Customer.id).where(Customer.billing_id == billing_id)
        ).first()
    )


def checkout_session(event: WebhookEvent) -> None:
    gw = gateway(event.account_environment_id)
    checkout_id = str(event.object_id)
    checkout = gw.call(lambda: gw.stripe.v1.checkout.sessions.retrieve(checkout_id))
    local = _find(checkout_id=checkout_id, metadata=checkout.metadata)
    if local is None:
        raise NotOurs(checkout_id)
    state.record_subscription_checkout_id(local, checkout_id)
    reconcile.reconcile_checkout(local)


def subscription(event: WebhookEvent) -> None:
    billing_id = str(event.object_id)
    local = _find(billing_id=billing_id)
    if local is None:
        # Not linked here yet (its checkout has not been seen): Stripe's metadata names it.
        gw = gateway(event.account_environment_id)
        remote = gw.call(lambda: gw.stripe.v1.subscriptions.retrieve(billing_id))
        local = _find(billing_id=billing_id, metadata=remote.metadata)
        if local is None:
            raise NotOurs(billing_id)
        state.record_subscription_billing_id(local, billing_id)
    reconcile.reconcile_subscription(local)


def invoice(event: WebhookEvent) -> None:
    gw = gateway(event.account_environment_id)
    invoice_id = str(event.object_id)
    remote = gw.call(lambda: gw.stripe.v1.invoices.retrieve(invoice_id))
    parent = remote.parent
    details = parent.subscription_details if parent is not None else None
    sub = details.subscription if details is not None else None
    if sub is None or details is None:
        raise NotOurs(invoice_id)
    billing_id = sub if isinstance(sub, str) else sub.id
    local = _find(billing_id=billing_id, metadata=details.metadata)
    if local is None:
        raise NotOurs(invoice_id)
    reconcile.reconcile_subscription(local)


def _customer_subscriptions(customer_billing_id: str) -> None:
    customer_id = _customer_by_billing_id(customer_billing_id)
    if customer_id is None:
        raise NotOurs(customer_billing_id)
    reconcile.reconcile_customer(customer_id)
    query = select(Subscription.id).where(
        Subscription.customer_id == customer_id, col(Subscription.billing_id).is_not(None)
    )
    for local in in_transaction(lambda session: list(session.exec(query))):
        reconcile.reconcile_subscription(local)


def payment_intent(event: WebhookEvent) -> None:
    gw = gateway(event.account_environment_id)
    intent_id = str(event.object_id)
    remote = gw.call(lambda: gw.stripe.v1.payment_intents.retrieve(intent_id))
    owner = remote.customer
    if owner is None:
        raise NotOurs(intent_id)
    _customer_subscriptions(owner if isinstance(owner, str) else owner.id)


def payment_method(event: WebhookEvent) -> None:
    gw = gateway(event.account_environment_id)
    method_id = str(event.object_id)
    remote = gw.call(lambda: gw.stripe.v1.payment_methods.retrieve(method_id))
    owner = remote.customer
    if owner is None:
        # Detached: the event's own object no longer names a customer; nothing to find.
        raise NotOurs(method_id)
    customer_id = _customer_by_billing_id(owner if isinstance(owner, str) else owner.id)
    if customer_id is None:
        raise NotOurs(method_id)
    reconcile.reconcile_customer(customer_id)


def customer(event: WebhookEvent) -> None:
    billing_id = str(event.object_id)
    found = _customer_by_billing_id(billing_id)
    if found is None:
        raise NotOurs(billing_id)
    reconcile.reconcile_customer(found)


HANDLERS: dict[str, Callable[[WebhookEvent], None]] = {
    **{
        f"checkout.session.{kind}": checkout_session
        for kind in ("completed", "async_payment_succeeded", "async_payment_failed", "expired")
    },
    **{
        f"customer.subscription.{kind}": subscription
        for kind in ("created", "updated", "deleted", "trial_will_end")
    },
    **{
        f"invoice.{kind}": invoice
        for kind in (
            "created",
            "finalized",
            "paid",
            "payment_failed",
            "payment_action_required",
            "voided",
            "marked_uncollectible",
        )
    },
    **{
        f"payment_intent.{kind}": payment_intent
        for kind in ("processing", "succeeded", "payment_failed", "requires_action")
    },
    "payment_method.attached": payment_method,
    "payment_method.detached": payment_method,
    "customer.updated": customer,
}
HANDLED_TYPES = frozenset(HANDLERS)
