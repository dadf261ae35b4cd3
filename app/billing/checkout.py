"""Stripe Checkout for a paid subscription waiting for its first payment.

The session is created under the customer's lock, once per subscription and set of
options (a retried job replays Stripe's first answer), and recorded at once. The return
URLs are the call's ``checkoutOptions`` or, without them, CHECKOUT_SUCCESS_URL and
CHECKOUT_CANCEL_URL; the API refuses a paid subscription without a card when neither
is set, so a caller is never told PAYMENT_REQUIRED without a URL to send the customer to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from sqlmodel import Session
from stripe.params.checkout import SessionCreateParams

from app.billing import state
from app.billing.client import gateway
from app.billing.customers import CustomerSnapshot, customer_for_billing, snapshot_of
from app.billing.idempotency import idempotency_key
from app.billing.limits import CHECKOUT_CLIENT_REFERENCE_ID
from app.billing.locks import customer_lock
from app.billing.subscription_terms import stripe_tax_rates
from app.billing.subscriptions import (
    DesiredSubscription,
    desired_of,
    discount,
    metadata,
    stripe_items,
)
from app.config import get_settings
from app.db import in_transaction
from app.errors import AppError
from app.models import Customer, Subscription
from app.models.subscriptions import PaymentCollection, SubscriptionStatus

log = structlog.get_logger(__name__)


class CheckoutNotConfigured(AppError):
    code = "CHECKOUT_NOT_CONFIGURED"


@dataclass(frozen=True)
class CheckoutSession:
    url: str
    billing_id: str


def return_urls(options: dict[str, Any]) -> tuple[str, str]:
    settings = get_settings()
    success = options.get("successUrl") or settings.checkout_success_url
    cancel = options.get("cancelUrl") or settings.checkout_cancel_url
    if not success or not cancel:
        raise CheckoutNotConfigured(
            "a paid plan without a payment method on file needs Stripe Checkout: give "
            "checkoutOptions.successUrl and cancelUrl, or set CHECKOUT_SUCCESS_URL and "
            "CHECKOUT_CANCEL_URL",
            field="input.checkoutOptions",
        )
    return str(success), str(cancel)


def client_reference(options: dict[str, Any], ref_id: str) -> str | None:
    """The session's ``client_reference_id``: the caller's referenceId (checked at the API),
    else the subscription's id when it fits Stripe's 200 characters (the session's
    metadata names the subscription either way)."""
    given = options.get("referenceId")
    if given:
        return str(given)
    return ref_id if len(ref_id) <= CHECKOUT_CLIENT_REFERENCE_ID else None


@dataclass(frozen=True)
class _Pending:
    desired: DesiredSubscription
    checkout: CheckoutSession | None
    waiting: bool
    # Read with the subscription: under the customer's lock, what customer_for_billing
    # would read again.
    customer: CustomerSnapshot | None


def _read(subscription_id: str) -> _Pending | None:
    def work(session: Session) -> _Pending | None:
        subscription = session.get(Subscription, subscription_id)
        if subscription is None:
            return None
        existing = None
        if subscription.checkout_url and subscription.checkout_billing_id:
            existing = CheckoutSession(subscription.checkout_url, subscription.checkout_billing_id)
        return _Pending(
            desired=desired_of(session, subscription),
            checkout=existing,
            waiting=subscription.status == SubscriptionStatus.PAYMENT_PENDING,
            customer=snapshot_of(session, subscription.customer_id),
        )

    # A read-only transaction, which does not queue behind the API's writers on SQLite
    # (under the customer's lock, nothing the job then writes changes meanwhile).
    return in_transaction(work, write=False)


def _params(
    desired: DesiredSubscription, customer_id: str, options: dict[str, Any]
) -> SessionCreateParams:
    success, cancel = return_urls(options)
    params: SessionCreateParams = {
        "mode": "subscription",
        "customer": customer_id,
        "line_items": [
            {"price": price, "quantity": quantity} for price, quantity in stripe_items(desired)
        ],
        "success_url": success,
        "cancel_url": cancel,
        "metadata": metadata(desired),
        "subscription_data": {"metadata": metadata(desired)},
    }
    reference = client_reference(options, desired.ref_id)
    if reference is not None:
        params["client_reference_id"] = reference
    if options.get("allowPromoCodes"):
        params["allow_promotion_codes"] = True
    else:
        found = discount(desired)
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
    if desired.is_trial and desired.trial_end_date:
        params["subscription_data"]["trial_end"] = int(desired.trial_end_date.timestamp())
    # On the subscription rather than on each line item: a line item's rates would
    # override the subscription's, so a later change of taxRateIds (which the sync makes
    # to default_tax_rates) would not reach the invoices.
    tax_rates = stripe_tax_rates(desired.tax_rate_ids)
    if tax_rates:
        params["subscription_data"]["default_tax_rates"] = tax_rates
    return params


def create_checkout(
    subscription_id: str,
    options: dict[str, Any],
    *,
    customer_id: str | None = None,
    requested_by: str = "request",
) -> CheckoutSession | None:
    """The subscription's Checkout Session, created if it has none; None when the
    subscription no longer waits for payment. ``customer_id`` (the subscription's
    customer, which the provisioning call knows) saves a read before the customer's lock
    is taken."""
    if customer_id is None:
        first = _read(subscription_id)
        if first is None:
            return None
        if first.checkout is not None:
            return first.checkout
        customer_id = first.desired.customer_id
    with customer_lock(customer_id):
        pending = _read(subscription_id)
        if pending is None or not pending.waiting:
            return None
        if pending.checkout is not None:
            return pending.checkout
        if pending.desired.customer_id != customer_id:
            raise ValueError(
                f"subscription {subscription_id} belongs to customer "
                f"{pending.desired.customer_id}, not {customer_id}"
            )
        desired = pending.desired
        # A Stripe customer made here is recorded with the session: one write fewer while
        # the user waits.
        customer = pending.customer
        billed_to = customer_for_billing(desired.customer_id, customer, record=False)
        made = billed_to if customer is None or customer.billing_id is None else None
        try:
            session = _open(desired, billed_to, options, requested_by)
            _record(desired, session, made)
        except BaseException:
            # Whatever failed after the Stripe customer was made, its id is kept.
            if made is not None:
                _keep_customer(desired.customer_id, made)
            raise
        log.info(
            "stripe.checkout.created", subscription_id=desired.ref_id, billing_id=session.billing_id
        )
        return session


def _open(
    desired: DesiredSubscription, billed_to: str, options: dict[str, Any], requested_by: str
) -> CheckoutSession:
    params = _params(desired, billed_to, options)
    # The provisioning call's job and the sweep (which has no checkoutOptions) are two
    # requests; a retry of either replays its own first answer.
    key = idempotency_key(
        "checkout.create", desired.id, requested_by, revision=str(desired.sync_generation)
    )
    gw = gateway(desired.environment_id)
    created = gw.call(
        lambda: gw.stripe.v1.checkout.sessions.create(params, {"idempotency_key": key})
    )
    if created.url is None:  # pragma: no cover - Stripe always sets it for hosted sessions
        raise RuntimeError("checkout session without a url")
    return CheckoutSession(url=created.url, billing_id=created.id)


def _keep_customer(customer_id: str, billing_id: str) -> None:
    """Record a Stripe customer's id on the way out of a failed checkout. If even that
    fails, the next attempt finds the customer again (its creation key, else the search)."""
    try:
        state.record_customer_billing_id(customer_id, billing_id)
    except Exception as exc:  # noqa: BLE001 - the checkout's own failure is the one raised
        log.warning("stripe.customer.unrecorded", customer_id=customer_id, error=type(exc).__name__)


def _record(
    desired: DesiredSubscription, checkout: CheckoutSession, customer_billing_id: str | None
) -> None:
    """The session on the subscription and, when it was made for this session, the Stripe
    customer's id on the customer, in one transaction."""

    def work(session: Session) -> None:
        state.set_once_in(
            session,
            Subscription,
            desired.id,
            "checkout_billing_id",
            checkout_billing_id=checkout.billing_id,
            checkout_url=checkout.url,
            payment_collection=PaymentCollection.NOT_REQUIRED.value,
        )
        if customer_billing_id is not None:
            state.set_once_in(
                session, Customer, desired.customer_id, "billing_id", billing_id=customer_billing_id
            )

    in_transaction(work)
