"""Subscriptions in Stripe, kept in step with the local ones.

``sync_subscription`` is a reconciliation, not a command: it reads the local
subscription as it is now and makes Stripe match it (create, change items, schedule or
apply the cancellation). Running it twice, or after several local changes, converges on
the same Stripe state, which is what makes the jobs safe to redeliver and to coalesce.

It runs under the customer's lock and never with a transaction open across a Stripe
call: read the desired state (short transaction), call Stripe, record the outcome
(short transaction, guarded by the sync generation; a stale outcome leaves the
subscription lagging and it is reconciled again). A Stripe subscription is created only
here (or by Checkout), after looking for one an earlier attempt made (by the metadata
billing-sync puts on it), and its id is recorded at once.
"""

from __future__ import annotations

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

from app import clock
from app.billing import invoices, state, subscription_terms
from app.billing.catalog import (
    PromotionCodeTaken,
    ensure_coupon,
    ensure_price,
    ensure_promotion_code,
)
from app.billing.client import gateway
from app.billing.customers import customer_for_billing, read_customer
from app.billing.errors import BillingError
from app.billing.idempotency import idempotency_key
from app.billing.locks import customer_lock
from app.catalog import reads as catalog_reads
from app.db import in_transaction
from app.models import Customer, PromotionCode, Subscription
from app.models.subscriptions import ENDED_STATUSES, SubscriptionStatus
from app.subscriptions import billing_info, views

log = structlog.get_logger(__name__)

ENDED = {s.value for s in ENDED_STATUSES}


@dataclass(frozen=True)
class DesiredSubscription:
    """What Stripe should hold for one local subscription, read in one transaction."""

    id: str
    ref_id: str
    environment_id: str
    customer_id: str
    status: str
    paid: bool
    billing_id: str | None
    sync_generation: int
    items: tuple[tuple[str, int], ...]  # (local price id, quantity)
    coupon_id: str | None
    promotion_code_id: str | None
    promotion_coupon_id: str | None
    is_trial: bool
    trial_end_date: datetime | None
    start_date: datetime
    effective_end_date: datetime | None
    tax_rate_ids: tuple[str, ...] = ()  # local TaxRate ids, in order
    items_changed_at: datetime | None = None
    # A change of coupon not yet brought to Stripe.
    discount_pending: bool = False
    # When Stripe starts charging (an imported subscription, paid for until then).
    billed_from: datetime | None = None
    synced_generation: int = 0

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    @property
    def needs_billing(self) -> bool:
        return self.paid or self.billing_id is not None


def desired_of(session: Session, subscription: Subscription) -> DesiredSubscription:
    # Local price ids only, from the catalog's read copies: Stripe's ids for them are
    # read from the rows themselves (``ensure_price``).
    with catalog_reads.current(session, subscription.environment_id):
        items = views.billed_items(session, subscription)
    promotion_coupon_id = None
    if subscription.promotion_code_id:
        code = session.get(PromotionCode, subscription.promotion_code_id)
        promotion_coupon_id = code.coupon_id if code is not None else None
    return DesiredSubscription(
        id=subscription.id,
        ref_id=subscription.ref_id,
        environment_id=subscription.environment_id,
        customer_id=subscription.customer_id,
        status=subscription.status,
        paid=subscription.pricing_type == "PAID",
        billing_id=subscription.billing_id,
        sync_generation=subscription.sync_generation,
        items=items,
        coupon_id=subscription.coupon_id,
        promotion_code_id=subscription.promotion_code_id,
        promotion_coupon_id=promotion_coupon_id,
        is_trial=subscription.is_trial,
        trial_end_date=subscription.trial_end_date,
        start_date=subscription.start_date,
        effective_end_date=subscription.effective_end_date,
        tax_rate_ids=billing_info.tax_rate_ids_of(session, subscription.id),
        items_changed_at=subscription.items_changed_at,
        discount_pending=subscription.discount_generation is not None
        and subscription.discount_generation > subscription.synced_generation,
        billed_from=subscription.billed_from,
        synced_generation=subscription.synced_generation,
    )


def read_desired(subscription_id: str) -> DesiredSubscription | None:
    def work(session: Session) -> DesiredSubscription | None:
        subscription = session.get(Subscription, subscription_id)
        return None if subscription is None else desired_of(session, subscription)

    return in_transaction(work)


def stripe_items(desired: DesiredSubscription) -> list[tuple[str, int]]:
    items: dict[str, int] = {}
    for price_id, quantity in desired.items:
        stripe_price = ensure_price(price_id)
        items[stripe_price] = items.get(stripe_price, 0) + quantity
    return sorted(items.items())


def discount(desired: DesiredSubscription) -> tuple[str, str] | None:
    """("promotion_code" | "coupon", Stripe id) of the subscription's discount, if any.

    A promotion code whose code another environment holds in a shared Stripe account is
    applied as its coupon: the same discount, without the code.
    """
    if desired.promotion_code_id:
        try:
            return "promotion_code", ensure_promotion_code(desired.promotion_code_id)
        except PromotionCodeTaken:
            if desired.promotion_coupon_id:
                return "coupon", ensure_coupon(desired.promotion_coupon_id)
            raise
    if desired.coupon_id:
        return "coupon", ensure_coupon(desired.coupon_id)
    return None


def _discounts(desired: DesiredSubscription) -> list[SubscriptionCreateParamsDiscount]:
    found = discount(desired)
    if found is None:
        return []
    kind, billing_id = found
    return [{"promotion_code": billing_id} if kind == "promotion_code" else {"coupon": billing_id}]


def metadata(desired: DesiredSubscription) -> dict[str, str]:
    return {
        "billing_sync_environment_id": desired.environment_id,
        "billing_sync_subscription_id": desired.ref_id,
    }


def metadata_of(remote: stripe.Subscription) -> dict[str, str]:
    tags: dict[str, str] = remote.to_dict().get("metadata") or {}
    return {str(key): str(value) for key, value in tags.items()}


def _timestamp(moment: datetime) -> int:
    return int(moment.timestamp())


def payment_attempt(environment_id: str, invoice: stripe.Invoice) -> tuple[str | None, str | None]:
    """The status and error message of the open invoice's payment intent, if any."""
    if invoice.status != "open" or invoice.id is None:
        return None, None
    gw = gateway(environment_id)
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


def invoice_summary(environment_id: str, invoice: stripe.Invoice) -> dict[str, Any]:
    intent_status, error_message = payment_attempt(environment_id, invoice)
    return invoices.summary(invoice, intent_status, error_message)


def store_invoice(session: Session, subscription: Subscription, summary: dict[str, Any]) -> None:
    subscription.latest_invoice = summary
    subscription.payment_collection = summary["paymentCollection"]
    session.add(subscription)
    session.flush()


def record_invoice(environment_id: str, subscription_id: str, invoice: stripe.Invoice) -> None:
    """Keep the invoice Stripe's answer to the subscription's creation carried, unless a
    read of the subscription was applied since: that read started after the creation
    and knows the invoice as it is now (``app.billing.reconcile``)."""
    summary = invoice_summary(environment_id, invoice)

    def work(session: Session) -> None:
        subscription = session.get(Subscription, subscription_id, with_for_update=True)
        if subscription is not None and subscription.billing_read_applied == 0:
            store_invoice(session, subscription, summary)

    in_transaction(work)


def find_remote(
    customer_billing_id: str, desired: DesiredSubscription
) -> stripe.Subscription | None:
    """The Stripe subscription an earlier attempt made for ``desired``, if any."""
    gw = gateway(desired.environment_id)
    wanted = metadata(desired)
    found: stripe.Subscription | None = None
    listing = gw.call(
        lambda: gw.stripe.v1.subscriptions.list(
            {"customer": customer_billing_id, "status": "all", "limit": 100}
        )
    )
    for remote in listing.auto_paging_iter():
        tags = metadata_of(remote)
        ours = all(tags.get(key) == value for key, value in wanted.items())
        if ours and (found is None or remote.status != "canceled"):
            found = remote
    return found


def _create(desired: DesiredSubscription, customer_id: str) -> stripe.Subscription:
    gw = gateway(desired.environment_id)
    now = clock.now()
    items: list[SubscriptionCreateParamsItem] = [
        {"price": price, "quantity": quantity} for price, quantity in stripe_items(desired)
    ]
    params: SubscriptionCreateParams = {
        "customer": customer_id,
        "items": items,
        "metadata": metadata(desired),
        "payment_behavior": "allow_incomplete",
        "expand": ["latest_invoice", "latest_invoice.confirmation_secret"],
    }
    if desired.is_trial and desired.trial_end_date and desired.trial_end_date > now:
        params["trial_end"] = _timestamp(desired.trial_end_date)
    if _paid_up(desired, now) and desired.billed_from is not None:
        # Paid for until then where it came from: the first invoice is for nothing, and
        # the card is first charged for the period that starts then.
        params["billing_cycle_anchor"] = _timestamp(desired.billed_from)
        params["proration_behavior"] = "none"
    elif desired.start_date < now:
        params["backdate_start_date"] = _timestamp(desired.start_date)
    discounts = _discounts(desired)
    if discounts:
        params["discounts"] = discounts
    tax_rates = subscription_terms.stripe_tax_rates(desired.tax_rate_ids)
    if tax_rates:
        params["default_tax_rates"] = tax_rates
    key = idempotency_key("subscription.create", desired.id, revision=str(desired.sync_generation))
    created = gw.call(lambda: gw.stripe.v1.subscriptions.create(params, {"idempotency_key": key}))
    log.info(
        "stripe.subscription.created",
        subscription_id=desired.ref_id,
        billing_id=created.id,
        status=created.status,
    )
    return created


def _paid_up(desired: DesiredSubscription, now: datetime) -> bool:
    """Whether the time until now is paid for already (before ``billed_from``)."""
    return desired.billed_from is not None and desired.billed_from > now and not desired.is_trial


def _update_items(desired: DesiredSubscription, remote: stripe.Subscription) -> None:
    wanted = dict(stripe_items(desired))
    current = {item.price.id: item for item in remote["items"].data}
    changes: list[SubscriptionUpdateParamsItem] = []
    for price_id, quantity in wanted.items():
        item = current.get(price_id)
        if item is None:
            changes.append({"price": price_id, "quantity": quantity})
        elif item.quantity != quantity:
            changes.append({"id": item.id, "quantity": quantity})
    changes.extend(
        {"id": item.id, "deleted": True}
        for price_id, item in current.items()
        if price_id not in wanted
    )
    if not changes:
        return
    params: SubscriptionUpdateParams = {"items": changes, "proration_behavior": "create_prorations"}
    moment = subscription_terms.proration_date(desired.items_changed_at, remote)
    if _paid_up(desired, clock.now()) and desired.synced_generation == 0:
        # A Stripe subscription linked by an import takes billing-sync's prices at no
        # charge: its period was paid for at the prices it had. Later changes prorate.
        params["proration_behavior"] = "none"
    elif moment is not None:
        params["proration_date"] = moment
    gw = gateway(desired.environment_id)
    billing_id = remote.id
    key = idempotency_key("subscription.items", desired.id, revision=str(desired.sync_generation))
    gw.call(lambda: gw.stripe.v1.subscriptions.update(billing_id, params, {"idempotency_key": key}))
    log.info("stripe.subscription.items_updated", subscription_id=desired.ref_id)


def _sync_terms(desired: DesiredSubscription, remote: stripe.Subscription) -> None:
    """Tax rates and, when the coupon changed here, discounts."""
    generation = desired.sync_generation
    wanted = subscription_terms.stripe_tax_rates(desired.tax_rate_ids)
    subscription_terms.sync_tax_rates(
        desired.environment_id, desired.id, generation, wanted, remote
    )
    if desired.discount_pending:
        subscription_terms.set_discounts(
            desired.environment_id, desired.id, generation, _discounts(desired), remote
        )


def _sync_end(desired: DesiredSubscription, remote: stripe.Subscription) -> None:
    gw = gateway(desired.environment_id)
    billing_id = remote.id
    if desired.ended:
        if remote.status not in ("canceled", "incomplete_expired"):
            gw.call(
                lambda: gw.stripe.v1.subscriptions.cancel(
                    billing_id,
                    {},
                    {"idempotency_key": idempotency_key("subscription.cancel", desired.id)},
                )
            )
            log.info("stripe.subscription.cancelled", subscription_id=desired.ref_id)
        return
    wanted = _timestamp(desired.effective_end_date) if desired.effective_end_date else None
    if remote.cancel_at != wanted:
        params: SubscriptionUpdateParams = {"cancel_at": wanted if wanted else ""}
        # The generation, not the value, names the request: a date set, unset and set
        # again is three requests, never a replay of the first.
        key = idempotency_key(
            "subscription.cancel_at", desired.id, revision=str(desired.sync_generation)
        )
        gw.call(
            lambda: gw.stripe.v1.subscriptions.update(billing_id, params, {"idempotency_key": key})
        )


def _reconcile_once(desired: DesiredSubscription) -> bool:
    """Bring Stripe to ``desired``; False when it cannot be done yet (not started)."""
    if not desired.needs_billing:
        return True
    if desired.billing_id is None:
        if desired.status == SubscriptionStatus.PAYMENT_PENDING:
            return True  # Checkout creates it once the customer pays.
        live = not desired.ended and desired.status != SubscriptionStatus.NOT_STARTED
        if live:
            customer_billing_id: str | None = customer_for_billing(desired.customer_id)
        else:
            owner = read_customer(desired.customer_id)
            customer_billing_id = owner.billing_id if owner is not None else None
        remote = find_remote(customer_billing_id, desired) if customer_billing_id else None
        if remote is None:
            if not live or customer_billing_id is None:
                return desired.status != SubscriptionStatus.NOT_STARTED
            created = _create(desired, customer_billing_id)
            state.record_subscription_billing_id(desired.id, created.id)
            latest = created.latest_invoice
            if isinstance(latest, stripe.Invoice):
                record_invoice(desired.environment_id, desired.id, latest)
            return True
        state.record_subscription_billing_id(desired.id, remote.id)
        log.info("stripe.subscription.found", subscription_id=desired.ref_id, billing_id=remote.id)
    else:
        gw = gateway(desired.environment_id)
        billing_id = desired.billing_id
        remote = gw.call(lambda: gw.stripe.v1.subscriptions.retrieve(billing_id))
    if not desired.ended and remote.status not in ("canceled", "incomplete_expired"):
        _sync_terms(desired, remote)
        _update_items(desired, remote)
    _sync_end(desired, remote)
    return True


def customer_of(subscription_id: str) -> str | None:
    def work(session: Session) -> str | None:
        subscription = session.get(Subscription, subscription_id)
        return None if subscription is None else subscription.customer_id

    return in_transaction(work)


def sync_subscription(subscription_id: str, rounds: int = 3) -> None:
    """Make the Stripe subscription match the local one.

    A refusal from Stripe is recorded on the subscription (code and safe message);
    what a retry can fix is raised for the job to retry.
    """
    customer_id = customer_of(subscription_id)
    if customer_id is None:
        return
    with customer_lock(customer_id):
        for _ in range(rounds):
            desired = read_desired(subscription_id)
            if desired is None:
                return
            try:
                done = _reconcile_once(desired)
            except BillingError as exc:
                if exc.retryable:
                    raise
                state.record_subscription_failure(subscription_id, exc)
                log.warning(
                    "billing.subscription.refused",
                    subscription_id=desired.ref_id,
                    code=exc.code,
                    **exc.details,
                )
                return
            if not done:
                return  # not started yet: the sweep brings it to Stripe once it starts
            if state.record_subscription_synced(subscription_id, desired.sync_generation):
                return
        log.info("billing.subscription.still_changing", subscription_id=subscription_id)


def needs_billing(session: Session, subscription: Subscription) -> bool:
    customer = session.get(Customer, subscription.customer_id)
    paid = subscription.pricing_type == "PAID"
    return paid or (
        customer is not None
        and customer.billing_id is not None
        and subscription.billing_id is not None
    )
