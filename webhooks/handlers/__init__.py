"""What each Stripe event does locally.

Every handler re-reads the object from Stripe and reconciles (``app.billing.reconcile``)
rather than applying the event's payload, so arrival order and duplicates do not
matter. Events about objects billing-sync did not create (no local match and no
billing-sync metadata) are ignored; events whose local row is not there yet are retried.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from sqlmodel import Session, col, select

from app.billing import reconcile
from app.billing.client import gateway
from app.models import Customer, Subscription
from app.models.webhooks import WebhookEvent

log = structlog.get_logger(__name__)


class NotOurs(Exception):
    """The event is about an object billing-sync does not manage."""


class NotYetKnown(Exception):
    """The event names a local object that is not committed yet: try again later."""


def _subscription_from_metadata(session: Session, metadata: object) -> Subscription | None:
    get = getattr(metadata, "get", None)
    if get is None:
        return None
    ref_id, environment_id = get("billing_sync_subscription_id"), get("billing_sync_environment_id")
    if not ref_id or not environment_id:
        return None
    found = reconcile.subscription_by_billing_ids(
        session, ref_id=str(ref_id), environment_id=str(environment_id)
    )
    if found is None:
        raise NotYetKnown(f"subscription {ref_id} is not stored yet")
    return found


def checkout_session(session: Session, event: WebhookEvent) -> None:
    gw = gateway()
    checkout_id = str(event.object_id)
    checkout = gw.call(lambda: gw.stripe.v1.checkout.sessions.retrieve(checkout_id))
    local = reconcile.subscription_by_billing_ids(session, checkout_id=checkout_id)
    local = local or _subscription_from_metadata(session, checkout.metadata)
    if local is None:
        raise NotOurs(checkout_id)
    if local.checkout_billing_id is None:
        local.checkout_billing_id = checkout_id
    reconcile.reconcile_checkout(session, local)


def subscription(session: Session, event: WebhookEvent) -> None:
    gw = gateway()
    billing_id = str(event.object_id)
    remote = gw.call(lambda: gw.stripe.v1.subscriptions.retrieve(billing_id))
    local = reconcile.subscription_by_billing_ids(session, billing_id=billing_id)
    local = local or _subscription_from_metadata(session, remote.metadata)
    if local is None:
        raise NotOurs(billing_id)
    if local.billing_id is None:
        local.billing_id = billing_id
    reconcile.reconcile_subscription(session, local)


def invoice(session: Session, event: WebhookEvent) -> None:
    gw = gateway()
    invoice_id = str(event.object_id)
    remote = gw.call(lambda: gw.stripe.v1.invoices.retrieve(invoice_id))
    parent = remote.parent
    details = parent.subscription_details if parent is not None else None
    sub = details.subscription if details is not None else None
    if sub is None:
        raise NotOurs(invoice_id)
    billing_id = sub if isinstance(sub, str) else sub.id
    local = reconcile.subscription_by_billing_ids(session, billing_id=billing_id)
    local = local or (
        _subscription_from_metadata(session, details.metadata) if details is not None else None
    )
    if local is None:
        raise NotOurs(invoice_id)
    reconcile.reconcile_subscription(session, local)


def _customer_subscriptions(session: Session, customer_billing_id: str) -> None:
    customer = session.exec(
        select(Customer).where(Customer.billing_id == customer_billing_id)
    ).first()
    if customer is None:
        raise NotOurs(customer_billing_id)
    reconcile.reconcile_customer(session, customer)
    query = select(Subscription).where(
        Subscription.customer_id == customer.id, col(Subscription.billing_id).is_not(None)
    )
    for local in session.exec(query):
        reconcile.reconcile_subscription(session, local)


def payment_intent(session: Session, event: WebhookEvent) -> None:
    gw = gateway()
    intent_id = str(event.object_id)
    remote = gw.call(lambda: gw.stripe.v1.payment_intents.retrieve(intent_id))
    owner = remote.customer
    if owner is None:
        raise NotOurs(intent_id)
    _customer_subscriptions(session, owner if isinstance(owner, str) else owner.id)


def payment_method(session: Session, event: WebhookEvent) -> None:
    gw = gateway()
    method_id = str(event.object_id)
    remote = gw.call(lambda: gw.stripe.v1.payment_methods.retrieve(method_id))
    owner = remote.customer
    if owner is None:
        # Detached: the event's own object no longer names a customer; nothing to find.
        raise NotOurs(method_id)
    customer_id = owner if isinstance(owner, str) else owner.id
    customer = session.exec(select(Customer).where(Customer.billing_id == customer_id)).first()
    if customer is None:
        raise NotOurs(method_id)
    reconcile.reconcile_customer(session, customer)


def customer(session: Session, event: WebhookEvent) -> None:
    billing_id = str(event.object_id)
    found = session.exec(select(Customer).where(Customer.billing_id == billing_id)).first()
    if found is None:
        raise NotOurs(billing_id)
    reconcile.reconcile_customer(session, found)


HANDLERS: dict[str, Callable[[Session, WebhookEvent], None]] = {
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
