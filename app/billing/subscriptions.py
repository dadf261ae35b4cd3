"""Subscriptions in Stripe, kept in step with the local ones.

``sync_subscription`` is a reconciliation, not a command: it reads the local
subscription as it is now and makes Stripe match it (create, change items, schedule or
apply the cancellation). Running it twice, or after several local changes, converges on
the same Stripe state, which is what makes the jobs safe to redeliver and to coalesce.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import stripe
import structlog
from sqlmodel import Session
from stripe.params import (
    SubscriptionCreateParams,
    SubscriptionCreateParamsDiscount,
    SubscriptionCreateParamsItem,
    SubscriptionUpdateParams,
    SubscriptionUpdateParamsItem,
)
from stripe.params.checkout import SessionCreateParams

from app import clock
from app.billing import invoices
from app.billing.catalog import ensure_coupon, ensure_price, ensure_promotion_code
from app.billing.client import gateway
from app.billing.customers import ensure_customer
from app.billing.idempotency import idempotency_key
from app.models import Coupon, Customer, PromotionCode, Subscription
from app.models.subscriptions import ENDED_STATUSES, PaymentCollection, SubscriptionStatus
from app.subscriptions import views

log = structlog.get_logger(__name__)

ENDED = {s.value for s in ENDED_STATUSES}


@dataclass(frozen=True)
class CheckoutSession:
    url: str
    billing_id: str


def _items(session: Session, subscription: Subscription) -> list[tuple[str, int]]:
    shown = views.load(session, subscription)
    items: dict[str, int] = {}
    for line in [*shown.plan_prices, *shown.addon_prices]:
        if line.quantity > 0:
            price_id = ensure_price(session, line.price)
            items[price_id] = items.get(price_id, 0) + line.quantity
    return sorted(items.items())


def _discount(session: Session, subscription: Subscription) -> tuple[str, str] | None:
    """("promotion_code" | "coupon", Stripe id) of the subscription's discount, if any."""
    if subscription.promotion_code_id:
        code = session.get(PromotionCode, subscription.promotion_code_id)
        if code is not None:
            return "promotion_code", ensure_promotion_code(session, code)
    if subscription.coupon_id:
        coupon = session.get(Coupon, subscription.coupon_id)
        if coupon is not None:
            return "coupon", ensure_coupon(session, coupon)
    return None


def _discounts(
    session: Session, subscription: Subscription
) -> list[SubscriptionCreateParamsDiscount]:
    found = _discount(session, subscription)
    if found is None:
        return []
    kind, billing_id = found
    return [{"promotion_code": billing_id} if kind == "promotion_code" else {"coupon": billing_id}]


def _metadata(subscription: Subscription) -> dict[str, str]:
    return {
        "billing_sync_environment_id": subscription.environment_id,
        "billing_sync_subscription_id": subscription.ref_id,
    }


def _timestamp(moment: datetime) -> int:
    return int(moment.timestamp())


def payment_attempt(invoice: stripe.Invoice) -> tuple[str | None, str | None]:
    """The status and error message of the open invoice's payment intent, if any."""
    if invoice.status != "open" or invoice.id is None:
        return None, None
    gw = gateway()
    invoice_id = invoice.id
    payments = gw.call(lambda: gw.stripe.v1.invoice_payments.list({"invoice": invoice_id}))
    for payment in payments.data:
        intent = payment.payment.payment_intent
        if intent is None:
            continue
        intent_id = intent if isinstance(intent, str) else intent.id
        found = gw.call(partial(gw.stripe.v1.payment_intents.retrieve, intent_id))
        error = found.last_payment_error
        return found.status, error.message if error is not None else None
    return None, None


def record_invoice(
    session: Session, subscription: Subscription, invoice: stripe.Invoice | None
) -> None:
    if invoice is None:
        return
    intent_status, error_message = payment_attempt(invoice)
    summary = invoices.summary(invoice, intent_status, error_message)
    subscription.latest_invoice = summary
    subscription.payment_collection = summary["paymentCollection"]
    session.add(subscription)
    session.flush()


def _create(session: Session, subscription: Subscription, customer_id: str) -> stripe.Subscription:
    gw = gateway()
    now = clock.now()
    items: list[SubscriptionCreateParamsItem] = [
        {"price": price, "quantity": quantity} for price, quantity in _items(session, subscription)
    ]
    params: SubscriptionCreateParams = {
        "customer": customer_id,
        "items": items,
        "metadata": _metadata(subscription),
        "payment_behavior": "allow_incomplete",
        "expand": ["latest_invoice", "latest_invoice.confirmation_secret"],
    }
    if subscription.is_trial and subscription.trial_end_date and subscription.trial_end_date > now:
        params["trial_end"] = _timestamp(subscription.trial_end_date)
    if subscription.start_date < now:
        params["backdate_start_date"] = _timestamp(subscription.start_date)
    discounts = _discounts(session, subscription)
    if discounts:
        params["discounts"] = discounts
    created = gw.call(
        lambda: gw.stripe.v1.subscriptions.create(
            params, {"idempotency_key": idempotency_key("subscription.create", subscription.id)}
        )
    )
    log.info(
        "stripe.subscription.created",
        subscription_id=subscription.ref_id,
        billing_id=created.id,
        status=created.status,
    )
    return created


def _update_items(
    session: Session, subscription: Subscription, remote: stripe.Subscription
) -> None:
    desired = dict(_items(session, subscription))
    current = {item.price.id: item for item in remote["items"].data}
    changes: list[SubscriptionUpdateParamsItem] = []
    for price_id, quantity in desired.items():
        item = current.get(price_id)
        if item is None:
            changes.append({"price": price_id, "quantity": quantity})
        elif item.quantity != quantity:
            changes.append({"id": item.id, "quantity": quantity})
    changes.extend(
        {"id": item.id, "deleted": True}
        for price_id, item in current.items()
        if price_id not in desired
    )
    if not changes:
        return
    revision = hashlib.sha256(json.dumps(sorted(desired.items())).encode()).hexdigest()[:16]
    params: SubscriptionUpdateParams = {"items": changes, "proration_behavior": "create_prorations"}
    gw = gateway()
    billing_id = remote.id
    gw.call(
        lambda: gw.stripe.v1.subscriptions.update(
            billing_id,
            params,
            {
                "idempotency_key": idempotency_key(
                    "subscription.items", subscription.id, revision=revision
                )
            },
        )
    )
    log.info("stripe.subscription.items_updated", subscription_id=subscription.ref_id)


def _sync_end(subscription: Subscription, remote: stripe.Subscription) -> None:
    gw = gateway()
    billing_id = remote.id
    if subscription.status in ENDED:
        if remote.status != "canceled":
            gw.call(
                lambda: gw.stripe.v1.subscriptions.cancel(
                    billing_id,
                    {},
                    {"idempotency_key": idempotency_key("subscription.cancel", subscription.id)},
                )
            )
            log.info("stripe.subscription.cancelled", subscription_id=subscription.ref_id)
        return
    wanted = (
        _timestamp(subscription.effective_end_date) if subscription.effective_end_date else None
    )
    if remote.cancel_at != wanted:
        params: SubscriptionUpdateParams = {"cancel_at": wanted if wanted else ""}
        gw.call(
            lambda: gw.stripe.v1.subscriptions.update(
                billing_id,
                params,
                {
                    "idempotency_key": idempotency_key(
                        "subscription.cancel_at", subscription.id, revision=str(wanted)
                    )
                },
            )
        )


def needs_billing(session: Session, subscription: Subscription) -> bool:
    customer = session.get(Customer, subscription.customer_id)
    paid = subscription.pricing_type == "PAID"
    return paid or (
        customer is not None
        and customer.billing_id is not None
        and subscription.billing_id is not None
    )


def sync_subscription(session: Session, subscription: Subscription) -> None:
    """Make the Stripe subscription match the local one."""
    if (
        subscription.status == SubscriptionStatus.PAYMENT_PENDING
        and subscription.billing_id is None
    ):
        return  # Checkout creates it once the customer pays.
    if not needs_billing(session, subscription):
        return
    customer = session.get(Customer, subscription.customer_id)
    assert customer is not None
    gw = gateway()
    if subscription.billing_id is None:
        if subscription.status in ENDED or subscription.status == SubscriptionStatus.NOT_STARTED:
            return
        customer_id = ensure_customer(session, customer)
        created = _create(session, subscription, customer_id)
        subscription.billing_id = created.id
        session.add(subscription)
        session.flush()
        latest = created.latest_invoice
        if isinstance(latest, stripe.Invoice):
            record_invoice(session, subscription, latest)
        return
    billing_id = subscription.billing_id
    remote = gw.call(lambda: gw.stripe.v1.subscriptions.retrieve(billing_id))
    if subscription.status not in ENDED:
        _update_items(session, subscription, remote)
    _sync_end(subscription, remote)


def create_checkout(
    session: Session, subscription: Subscription, options: dict[str, Any]
) -> CheckoutSession:
    """A Stripe Checkout Session for a subscription waiting for payment."""
    customer = session.get(Customer, subscription.customer_id)
    assert customer is not None
    customer_id = ensure_customer(session, customer)
    params: SessionCreateParams = {
        "mode": "subscription",
        "customer": customer_id,
        "line_items": [
            {"price": price, "quantity": quantity}
            for price, quantity in _items(session, subscription)
        ],
        "success_url": str(options.get("successUrl") or "https://example.invalid/success"),
        "cancel_url": str(options.get("cancelUrl") or "https://example.invalid/cancel"),
        "client_reference_id": str(options.get("referenceId") or subscription.ref_id),
        "metadata": _metadata(subscription),
        "subscription_data": {"metadata": _metadata(subscription)},
    }
    if options.get("allowPromoCodes"):
        params["allow_promotion_codes"] = True
    else:
        found = _discount(session, subscription)
        if found is not None:
            kind, billing_id = found
            params["discounts"] = [
                {"promotion_code": billing_id}
                if kind == "promotion_code"
                else {"coupon": billing_id}
            ]
    if options.get("allowTaxIdCollection"):
        params["tax_id_collection"] = {"enabled": True}
    if options.get("collectBillingAddress"):
        params["billing_address_collection"] = "required"
    if options.get("collectPhoneNumber"):
        params["phone_number_collection"] = {"enabled": True}
    if subscription.is_trial and subscription.trial_end_date:
        params["subscription_data"]["trial_end"] = _timestamp(subscription.trial_end_date)
    gw = gateway()
    created = gw.call(
        lambda: gw.stripe.v1.checkout.sessions.create(
            params, {"idempotency_key": idempotency_key("checkout.create", subscription.id)}
        )
    )
    if created.url is None:  # pragma: no cover - Stripe always sets it for hosted sessions
        raise RuntimeError("checkout session without a url")
    subscription.checkout_billing_id = created.id
    subscription.checkout_url = created.url
    subscription.payment_collection = PaymentCollection.NOT_REQUIRED.value
    session.add(subscription)
    session.flush()
    log.info("stripe.checkout.created", subscription_id=subscription.ref_id, billing_id=created.id)
    return CheckoutSession(url=created.url, billing_id=created.id)
