"""State changes of one subscription: start, end, replace, fall back, convert a trial.

Services and time-driven transitions both go through these, so a subscription moves
between states the same way whether a person or the clock asked.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import structlog
from sqlmodel import Session

from app.catalog import repository as catalog
from app.models import (
    Customer,
    Package,
    Product,
    Subscription,
    SubscriptionAddon,
    SubscriptionFeatureQuantity,
)
from app.models.catalog import BillingPeriod, PackageKind, PricingType, TrialEndBehavior
from app.models.subscriptions import LIVE_STATUSES, SubscriptionStatus
from app.subscriptions import repository
from app.subscriptions.items import ResolvedItems
from app.subscriptions.periods import period_at

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Terms:
    """Everything a new subscription starts with."""

    customer: Customer
    product: Product
    plan: Package
    items: ResolvedItems
    start: datetime
    resource_id: str | None = None
    trial_end: datetime | None = None
    trial_end_behavior: str | None = None
    coupon_id: str | None = None
    promotion_code_id: str | None = None
    additional_metadata: dict[str, object] | None = None
    ref_id: str | None = None
    unit_quantity: Decimal | None = None


def slot_key(subscription: Subscription) -> str:
    return ":".join(
        (
            subscription.customer_id,
            subscription.product_id,
            subscription.resource_id or "",
            "trial" if subscription.is_trial else "paid",
        )
    )


def _cadence(subscription: Subscription) -> BillingPeriod:
    # Free subscriptions have no billing period; their periods run monthly (usage
    # resets and currentBillingPeriodEnd still need one).
    return BillingPeriod(subscription.billing_period or BillingPeriod.MONTHLY)


def refresh_period(subscription: Subscription, now: datetime) -> None:
    if subscription.is_trial and subscription.trial_end_date is not None:
        subscription.current_billing_period_start = subscription.start_date
        subscription.current_billing_period_end = subscription.trial_end_date
        return
    start, end = period_at(subscription.billing_cycle_anchor, _cadence(subscription), now)
    subscription.current_billing_period_start = start
    subscription.current_billing_period_end = end


def new_ref_id(session: Session, environment_id: str, plan_ref: str) -> str:
    while True:
        candidate = f"subscription-{plan_ref}-{secrets.token_hex(3)}"
        if not repository.ref_taken(session, environment_id, candidate):
            return candidate


def set_items(session: Session, subscription: Subscription, items: ResolvedItems) -> None:
    """Replace the subscription's addons and per-unit quantities with ``items``."""
    for row in repository.addons_of(session, subscription.id):
        session.delete(row)
    for quantity_row in repository.feature_rows_of(session, subscription.id):
        session.delete(quantity_row)
    session.flush()
    _add_items(session, subscription, items)


def _add_items(session: Session, subscription: Subscription, items: ResolvedItems) -> None:
    for addon, quantity in items.addons:
        session.add(
            SubscriptionAddon(subscription_id=subscription.id, addon_id=addon.id, quantity=quantity)
        )
    for feature_id, quantity in items.feature_quantities.items():
        session.add(
            SubscriptionFeatureQuantity(
                subscription_id=subscription.id, feature_id=feature_id, quantity=quantity
            )
        )
    subscription.billing_period = items.billing_period.value if items.billing_period else None
    subscription.billing_country_code = items.country


def take_slot(session: Session, subscription: Subscription) -> None:
    subscription.active_slot = slot_key(subscription)
    session.add(subscription)
    session.flush()


def create(
    session: Session, terms: Terms, now: datetime, *, awaiting_payment: bool = False
) -> Subscription:
    """A new subscription; ``awaiting_payment`` ones hold nothing until payment completes."""
    plan = terms.plan
    starts_later = terms.start > now
    is_trial = terms.trial_end is not None
    status = (
        SubscriptionStatus.PAYMENT_PENDING
        if awaiting_payment
        else SubscriptionStatus.NOT_STARTED
        if starts_later
        else SubscriptionStatus.IN_TRIAL
        if is_trial
        else SubscriptionStatus.ACTIVE
    )
    subscription = Subscription(
        environment_id=terms.customer.environment_id,
        ref_id=terms.ref_id or new_ref_id(session, terms.customer.environment_id, plan.ref_id),
        customer_id=terms.customer.id,
        product_id=terms.product.id,
        plan_id=plan.id,
        resource_id=terms.resource_id,
        status=status.value,
        is_trial=is_trial,
        trial_end_date=terms.trial_end,
        trial_end_behavior=terms.trial_end_behavior,
        pricing_type=plan.pricing_type,
        start_date=terms.start,
        billing_cycle_anchor=terms.trial_end or terms.start,
        current_billing_period_start=terms.start,
        current_billing_period_end=terms.start,
        coupon_id=terms.coupon_id,
        promotion_code_id=terms.promotion_code_id,
        additional_metadata=terms.additional_metadata,
        unit_quantity=terms.unit_quantity,
    )
    refresh_period(subscription, max(now, terms.start))
    session.add(subscription)
    # Flushed before its items: they have no relationship to order their inserts by, and
    # the entitlements cache finds their customer through the flushed subscription.
    session.flush()
    _add_items(session, subscription, terms.items)  # a new subscription has none to replace
    if not starts_later and not awaiting_payment:
        take_slot(session, subscription)
    log.info(
        "subscription.created",
        subscription_id=subscription.ref_id,
        plan=plan.ref_id,
        status=subscription.status,
        trial=is_trial,
    )
    return subscription


def end(
    session: Session,
    subscription: Subscription,
    at: datetime,
    status: SubscriptionStatus,
    reason: str,
) -> None:
    subscription.status = status.value
    subscription.end_date = at
    subscription.effective_end_date = at
    subscription.cancellation_date = subscription.cancellation_date or at
    subscription.cancel_reason = reason
    subscription.active_slot = None
    subscription.migrate_at = None
    session.add(subscription)
    session.flush()
    log.info(
        "subscription.ended",
        subscription_id=subscription.ref_id,
        status=status.value,
        reason=reason,
    )


def replace(session: Session, victim: Subscription, at: datetime, now: datetime, by: str) -> None:
    """Make room for a new subscription that starts at ``at``."""
    if victim.status == SubscriptionStatus.NOT_STARTED:
        # Never started: it ends where it would have begun, never before.
        end(
            session,
            victim,
            max(now, victim.start_date),
            SubscriptionStatus.CANCELED,
            f"replaced by {by}",
        )
    elif at <= now:
        end(
            session,
            victim,
            max(at, victim.start_date),
            SubscriptionStatus.CANCELED,
            f"replaced by {by}",
        )
    else:
        victim.effective_end_date = at
        victim.cancellation_date = now
        victim.cancel_reason = f"replaced by {by}"
        session.add(victim)
        session.flush()


def keep(subscription: Subscription) -> None:
    """Withdraw a scheduled end that a replacement had set."""
    subscription.effective_end_date = None
    subscription.cancellation_date = None
    subscription.cancel_reason = None


def undo_replacement(session: Session, withdrawn: Subscription) -> None:
    """``withdrawn`` will never start: what it was to replace stays."""
    reason = f"replaced by {withdrawn.ref_id}"
    for holder in repository.in_slot(
        session, withdrawn.customer_id, withdrawn.product_id, withdrawn.resource_id
    ):
        if holder.id != withdrawn.id and holder.cancel_reason == reason:
            keep(holder)
            session.add(holder)
    session.flush()


def fall_back(session: Session, ended: Subscription, at: datetime, now: datetime) -> None:
    """Start the product's fallback plan when the customer is left without a subscription."""
    product = session.get(Product, ended.product_id)
    if product is None or product.fallback_plan_ref is None:
        return
    holders = repository.in_slot(session, ended.customer_id, ended.product_id, ended.resource_id)
    if any(not s.is_trial for s in holders):
        return
    plan = catalog.latest_package(
        session, ended.environment_id, PackageKind.PLAN, product.fallback_plan_ref
    )
    ended_plan = session.get(Package, ended.plan_id)
    if plan is None or ended_plan is None or ended_plan.ref_id == plan.ref_id:
        return
    if plan.pricing_type != PricingType.FREE:
        return
    customer = session.get(Customer, ended.customer_id)
    if customer is None or customer.archived_at is not None:
        return
    create(
        session,
        Terms(
            customer=customer,
            product=product,
            plan=plan,
            items=ResolvedItems(billing_period=None, country=None, currency=None),
            start=at,
            resource_id=ended.resource_id,
        ),
        now,
    )


def convert_trial(
    session: Session, subscription: Subscription, at: datetime, now: datetime
) -> None:
    """The trial ends: become paid, or expire, as the plan says."""
    if subscription.trial_end_behavior == TrialEndBehavior.CANCEL_SUBSCRIPTION:
        end(session, subscription, at, SubscriptionStatus.EXPIRED, "trial ended")
        fall_back(session, subscription, at, now)
        return
    subscription.active_slot = None
    session.add(subscription)
    session.flush()
    for holder in repository.in_slot(
        session, subscription.customer_id, subscription.product_id, subscription.resource_id
    ):
        if holder.id != subscription.id and not holder.is_trial:
            replace(session, holder, at, now, subscription.ref_id)
            if subscription.cancel_reason == f"replaced by {holder.ref_id}":
                # The holder was to replace this trial later; it is gone, so this stays.
                keep(subscription)
    subscription.is_trial = False
    subscription.was_in_trial = True
    subscription.status = SubscriptionStatus.ACTIVE.value
    subscription.billing_cycle_anchor = at
    refresh_period(subscription, now)
    take_slot(session, subscription)
    log.info("subscription.trial_converted", subscription_id=subscription.ref_id)


def start(session: Session, subscription: Subscription, now: datetime) -> None:
    at = subscription.start_date
    for holder in repository.in_slot(
        session,
        subscription.customer_id,
        subscription.product_id,
        subscription.resource_id,
        [s.value for s in LIVE_STATUSES],
    ):
        if holder.is_trial == subscription.is_trial and holder.id != subscription.id:
            end(
                session,
                holder,
                max(at, holder.start_date),
                SubscriptionStatus.CANCELED,
                f"replaced by {subscription.ref_id}",
            )
    subscription.status = (
        SubscriptionStatus.IN_TRIAL if subscription.is_trial else SubscriptionStatus.ACTIVE
    ).value
    refresh_period(subscription, now)
    take_slot(session, subscription)


def trial_end_for(plan: Package, start: datetime) -> datetime | None:
    if plan.trial_days is None:
        return None
    return start + timedelta(days=plan.trial_days)


def activate_paid(session: Session, subscription: Subscription, now: datetime) -> None:
    """A PAYMENT_PENDING subscription was paid: it starts now and replaces what it competes
    with, as an immediate provision would have."""
    if subscription.status != SubscriptionStatus.PAYMENT_PENDING:
        return
    for holder in repository.in_slot(
        session, subscription.customer_id, subscription.product_id, subscription.resource_id
    ):
        if holder.id == subscription.id:
            continue
        plan = session.get(Package, subscription.plan_id)
        holder_plan = session.get(Package, holder.plan_id)
        same_plan_trial = (
            holder.is_trial
            and plan is not None
            and holder_plan is not None
            and holder_plan.ref_id == plan.ref_id
        )
        if holder.is_trial == subscription.is_trial or (
            not subscription.is_trial and same_plan_trial
        ):
            replace(session, holder, now, now, subscription.ref_id)
    subscription.start_date = max(subscription.start_date, now)
    subscription.billing_cycle_anchor = subscription.start_date
    subscription.status = (
        SubscriptionStatus.IN_TRIAL if subscription.is_trial else SubscriptionStatus.ACTIVE
    ).value
    refresh_period(subscription, now)
    take_slot(session, subscription)
    log.info("subscription.payment_confirmed", subscription_id=subscription.ref_id)
