"""Subscriptions: provision, create, update, cancel, migrate, and read them.

The platform's rules, per customer, product and resource (the "slot"):
- a customer may hold one non-trial subscription and one trial (of another plan) at once;
- a new subscription to the plan being trialled is a paid one and ends the trial;
- otherwise a new subscription replaces the one it competes with, from its start date;
- a plan's trial is given once per customer, unless skipped or overridden;
- when a subscription ends and nothing else is left, the product's fallback plan starts.
No billing integration is involved here: without one, every subscription starts at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from dramatiq import Message
from sqlmodel import Session

from app import clock
from app.billing import state as billing_state
from app.billing.checkout import return_urls
from app.catalog import reads as catalog_reads
from app.catalog import repository as catalog
from app.config import get_settings
from app.customers import repository as customers
from app.customers.schemas import check_metadata
from app.environments.service import billing_integrated
from app.errors import CustomerNotFound, ValidationFailed
from app.models import (
    Coupon,
    Customer,
    Environment,
    Package,
    Product,
    Subscription,
    SubscriptionEntitlement,
    TaxRate,
)
from app.models.catalog import BillingPeriod, PackageKind, PricingType, TrialEndBehavior
from app.models.subscriptions import SubscriptionStatus
from app.subscriptions import billing_info, lifecycle, migration, repository, views
from app.subscriptions import entitlement_overrides as overrides
from app.subscriptions.errors import (
    CouponNotApplicable,
    InvalidDate,
    InvalidPromotionCode,
    MultipleSubscriptionsNotAllowed,
    PlanNotFound,
    SubscriptionEnded,
    SubscriptionNotFound,
    SubscriptionRefIdTaken,
)
from app.subscriptions.items import ResolvedItems, resolve_items
from app.subscriptions.schemas import (
    CancellationTime,
    CancelRequest,
    MigrateRequest,
    MigrationTime,
    ProvisionRequest,
    TrialOverride,
    UpdateRequest,
)
from app.subscriptions.transitions import advance
from app.subscriptions.views import SubscriptionView
from app.validation import validate


class ProvisionStatus(StrEnum):
    SUCCESS = "SUCCESS"
    PAYMENT_REQUIRED = "PAYMENT_REQUIRED"


@dataclass(frozen=True)
class ProvisionOutcome:
    """What provisioning did; the jobs are for the caller to await after commit."""

    subscription: Subscription
    status: ProvisionStatus
    checkout_url: str | None = None
    checkout_billing_id: str | None = None
    checkout_job: Message[Any] | None = None
    payment_job: Message[Any] | None = None


def _customer(session: Session, environment: Environment, customer_id: str) -> Customer:
    # Locking the customer serialises concurrent provisioning for one customer.
    customer = customers.find_for_update(session, environment.id, customer_id)
    if customer is None or customer.archived_at is not None:
        raise CustomerNotFound(f"customer {customer_id!r} not found", field="input.customerId")
    return customer


def _plan(session: Session, environment: Environment, plan_id: str) -> tuple[Package, Product]:
    plan = catalog_reads.latest_package(session, environment.id, PackageKind.PLAN, plan_id)
    product = catalog_reads.product(session, plan.product_id) if plan else None
    if plan is None or product is None or product.environment_id != environment.id:
        raise PlanNotFound(f"unknown plan {plan_id!r}", field="input.planId")
    return plan, product


def _coupon(
    session: Session,
    environment: Environment,
    request: ProvisionRequest | UpdateRequest,
    currency: str | None,
) -> tuple[Coupon | None, str | None]:
    """The coupon a request applies, and the promotion code it came through."""
    applied = getattr(request, "appliedCoupon", None)
    code = request.promotionCode or (applied.promotionCode if applied else None)
    coupon: Coupon | None = None
    promotion_code_id = None
    if code:
        promotion = catalog.promotion_code(session, environment.id, code)
        if promotion is None:
            raise InvalidPromotionCode(
                f"promotion code {code!r} is not active", field="input.promotionCode"
            )
        coupon = catalog.coupon_by_id(session, environment.id, promotion.coupon_id)
        promotion_code_id = promotion.id
    elif applied and applied.couponId:
        coupon = catalog.coupon_by_ref(session, environment.id, applied.couponId)
        if coupon is None:
            raise InvalidPromotionCode(
                f"coupon {applied.couponId!r} is not active",
                field="input.appliedCoupon.couponId",
            )
    info = request.billingInformation
    if info is not None and info.couponId is not None:
        billed = billing_info.coupon(session, environment.id, info.couponId)
        if coupon is not None and coupon.id != billed.id:
            raise CouponNotApplicable(
                f"input.billingInformation.couponId names coupon {info.couponId!r}, another "
                f"than the one the promotion code or applied coupon gives ({coupon.ref_id!r})",
                field="input.billingInformation.couponId",
            )
        coupon = billed
    if coupon is not None and coupon.currency and currency and coupon.currency != currency:
        raise CouponNotApplicable(
            f"coupon {coupon.ref_id!r} is in {coupon.currency}; this subscription is billed "
            f"in {currency}",
            field="input.promotionCode",
        )
    return coupon, promotion_code_id


def _items(
    session: Session, environment: Environment, plan: Package, request: ProvisionRequest
) -> ResolvedItems:
    return resolve_items(
        session,
        environment.id,
        plan,
        billing_period=request.billingPeriod,
        country=request.billingCountryCode,
        billable_features=[(f.featureId, f.quantity) for f in request.billableFeatures or []],
        unit_quantity=request.unitQuantity,
        addons=[(a.addonId, a.quantity) for a in request.addons or []],
    )


def trial_of(
    session: Session,
    customer_pk: str,
    plan: Package,
    product: Product,
    *,
    resource_id: str | None,
    skip_trial: bool,
    override: TrialOverride | None,
    start: datetime,
) -> datetime | None:
    """When a new subscription to ``plan`` in the customer's slot (product, resource)
    would end its trial, as provisioning decides it; None: it would start paid.

    The slot's subscriptions are not read: one in trial of this plan is a trial the
    customer had, which ends the decision the same way."""
    check_resource(product, resource_id)
    return _trial(session, customer_pk, plan, skip_trial, override, start, [])[0]


def check_resource(product: Product, resource_id: str | None) -> None:
    if resource_id is not None and not product.multiple_subscriptions:
        raise MultipleSubscriptionsNotAllowed(
            f"product {product.ref_id!r} allows one subscription per customer; "
            "resourceId cannot be used with it",
            field="input.resourceId",
        )


def _trial(
    session: Session,
    customer_pk: str,
    plan: Package,
    skip_trial: bool,
    override: TrialOverride | None,
    start: datetime,
    holders: list[Subscription],
) -> tuple[datetime | None, str | None]:
    """When the new subscription's trial ends (None: no trial) and what happens then."""
    behaviour = plan.trial_end_behavior or TrialEndBehavior.CONVERT_TO_PAID.value
    if override is not None:
        if not override.isTrial:
            return None, None
        end = override.trialEndDate or lifecycle.trial_end_for(plan, start)
        if end is None or end <= start:
            raise InvalidDate(
                "input.trialOverrideConfiguration.trialEndDate: a trial needs an end after the "
                "start date",
                field="input.trialOverrideConfiguration.trialEndDate",
            )
        if override.trialEndBehavior is not None:
            behaviour = override.trialEndBehavior.value
        return end, behaviour
    if skip_trial or plan.trial_days is None:
        return None, None
    if any(h.is_trial and _plan_ref(session, h) == plan.ref_id for h in holders):
        return None, None  # subscribing to the plan being trialled: the paid upgrade
    versions = catalog_reads.version_ids(session, plan)
    if repository.trialled_plan(session, customer_pk, versions):
        return None, None
    return lifecycle.trial_end_for(plan, start), behaviour


def _plan_ref(session: Session, subscription: Subscription) -> str | None:
    plan = catalog_reads.package(session, subscription.plan_id)
    return plan.ref_id if plan else None


def provision(
    session: Session, environment: Environment, request: ProvisionRequest
) -> ProvisionOutcome:
    # The plan, its prices and addons, as the catalog's read copies: a provision writes
    # only the subscription's own rows, and its Stripe side runs in jobs of their own.
    with catalog_reads.current(session, environment.id):
        return _provision(session, environment, request)


def _provision(
    session: Session, environment: Environment, request: ProvisionRequest
) -> ProvisionOutcome:
    now = clock.now()
    info = request.billingInformation
    billing_info.refuse_unsupported(info)
    _check_metadata(request.additionalMetaData)
    customer = _customer(session, environment, request.customerId)
    plan, product = _plan(session, environment, request.planId)
    check_resource(product, request.resourceId)
    items = _items(session, environment, plan, request)
    entitlement_values = overrides.resolve(
        session, environment, request.subscriptionEntitlements or []
    )
    coupon, promotion_code_id = _coupon(session, environment, request, items.currency)
    tax_rates = _tax_rates(session, environment, info)
    start = request.startDate or now
    holders = repository.in_slot(session, customer.id, product.id, request.resourceId)
    trial_end, behaviour = _trial(
        session,
        customer.id,
        plan,
        request.skipTrial,
        request.trialOverrideConfiguration,
        start,
        holders,
    )
    is_trial = trial_end is not None
    if request.refId is not None and repository.ref_taken(session, environment.id, request.refId):
        raise SubscriptionRefIdTaken(
            f"subscription refId {request.refId!r} is taken; give another or none",
            field="input.refId",
        )
    ref_id = request.refId or lifecycle.new_ref_id(session, environment.id, plan.ref_id)
    integrated = billing_integrated(session, environment.id)
    paid = plan.pricing_type == PricingType.PAID
    # A paid subscription with no payment method on file waits for Checkout; what the
    # customer holds now stays until the payment completes.
    has_card = customer.has_payment_method or customer.payment_method_pending
    awaiting_payment = integrated and paid and not is_trial and not has_card
    checkout_options = request.checkoutOptions.job_options() if request.checkoutOptions else {}
    if awaiting_payment:
        return_urls(checkout_options)  # refused now, not after the commit
    if not awaiting_payment:
        for holder in holders:
            same_plan_trial = holder.is_trial and _plan_ref(session, holder) == plan.ref_id
            if holder.is_trial == is_trial or (not is_trial and same_plan_trial):
                lifecycle.replace(session, holder, start, now, ref_id)
                # The replaced one's Stripe subscription must end (or be scheduled to).
                _sync_billing(session, holder, customer, _is_paid(holder))
    subscription = lifecycle.create(
        session,
        lifecycle.Terms(
            customer=customer,
            product=product,
            plan=plan,
            items=items,
            start=start,
            resource_id=request.resourceId,
            trial_end=trial_end,
            trial_end_behavior=behaviour,
            coupon_id=coupon.id if coupon else None,
            promotion_code_id=promotion_code_id,
            additional_metadata=request.additionalMetaData,
            ref_id=ref_id,
            unit_quantity=request.unitQuantity,
        ),
        now,
        awaiting_payment=awaiting_payment,
    )
    if tax_rates:  # a new subscription has none to replace
        billing_info.set_tax_rates(session, subscription, tax_rates)
    if entitlement_values:
        overrides.replace_all(session, subscription, entitlement_values)
    _forward_customer_information(session, customer, info)
    if awaiting_payment:
        checkout = billing_state.request_checkout(session, subscription, checkout_options)
        return ProvisionOutcome(
            subscription, ProvisionStatus.PAYMENT_REQUIRED, checkout_job=checkout
        )
    advance(session, subscription, now)
    sync = _sync_billing(session, subscription, customer, paid)
    payment_job = sync if request.awaitPaymentConfirmation else None
    return ProvisionOutcome(subscription, ProvisionStatus.SUCCESS, payment_job=payment_job)


def _tax_rates(
    session: Session,
    environment: Environment,
    info: billing_info.SubscriptionBillingInformation | None,
) -> list[TaxRate]:
    if info is None or not info.taxRateIds:
        return []
    field = "input.billingInformation.taxRateIds"
    return billing_info.tax_rates(session, environment.id, info.taxRateIds, field)


def _forward_customer_information(
    session: Session, customer: Customer, info: billing_info.SubscriptionBillingInformation | None
) -> None:
    """Send the address and tax ids to the Stripe customer (sealed in its sync job)."""
    forwarded = billing_info.customer_information(info)
    if forwarded is not None and billing_integrated(session, customer.environment_id):
        billing_state.request_customer_sync(session, customer, forwarded)


def _sync_billing(
    session: Session, subscription: Subscription, customer: Customer, paid: bool
) -> Message[Any] | None:
    """Queue the Stripe side of a change when this subscription belongs there."""
    if not billing_integrated(session, subscription.environment_id):
        return None
    if not (paid or subscription.billing_id is not None):
        return None
    return billing_state.request_subscription_sync(session, subscription)


def _check_metadata(metadata: dict[str, Any] | None) -> None:
    """A subscription's metadata is held to the limits a customer's is."""
    settings = get_settings()
    try:
        check_metadata(metadata, settings.metadata_max_keys, settings.metadata_max_value_length)
    except ValueError as exc:
        raise ValidationFailed(
            f"input.additionalMetaData: {exc}", field="input.additionalMetaData"
        ) from None


def _update_request(fields: dict[str, Any]) -> UpdateRequest:
    request = validate(UpdateRequest, fields)
    _check_metadata(request.additionalMetaData)
    return request


def provision_subscription(
    session: Session, environment: Environment, data: dict[str, Any]
) -> ProvisionOutcome:
    return provision(session, environment, validate(ProvisionRequest, data))


def create_subscription(
    session: Session, environment: Environment, data: dict[str, Any]
) -> Subscription:
    """``createSubscription``: SubscriptionInput, whose isTrial/trialEndBehavior map onto
    the trial override of a provision."""
    fields = dict(data)
    is_trial = fields.pop("isTrial", None)
    behaviour = fields.pop("trialEndBehavior", None)
    for unused in ("endDate", "isOverridingTrialConfig", "environmentId", "crmId"):
        fields.pop(unused, None)
    if is_trial is not None and "trialOverrideConfiguration" not in fields:
        fields["trialOverrideConfiguration"] = {"isTrial": is_trial, "trialEndBehavior": behaviour}
    return provision(session, environment, validate(ProvisionRequest, fields)).subscription


def _live(
    session: Session, environment: Environment, ref_id: str, field: str = "input.subscriptionId"
) -> Subscription:
    found = repository.by_ref(session, environment.id, ref_id)
    if found is None:
        raise SubscriptionNotFound(f"subscription {ref_id!r} not found", field=field)
    # The customer's row first, then the subscription's: the lock order of every writer.
    customers.lock_customer(session, found.customer_id)
    subscription = repository.by_ref(session, environment.id, ref_id, for_update=True)
    if subscription is None:  # pragma: no cover - subscriptions are never deleted
        raise SubscriptionNotFound(f"subscription {ref_id!r} not found", field=field)
    advance(session, subscription, clock.now())
    return subscription


def update_subscription(
    session: Session, environment: Environment, data: dict[str, Any]
) -> Subscription:
    fields = dict(data)
    if "subscriptionId" not in fields and "refId" in fields:
        fields["subscriptionId"] = fields.pop("refId")
    fields.pop("refId", None)
    request = _update_request(fields)
    info = request.billingInformation
    billing_info.refuse_unsupported(info)
    now = clock.now()
    subscription = _live(session, environment, request.subscriptionId)
    if subscription.status in (SubscriptionStatus.CANCELED, SubscriptionStatus.EXPIRED):
        raise SubscriptionEnded(
            f"subscription {subscription.ref_id!r} has ended", field="input.subscriptionId"
        )
    plan = session.get(Package, subscription.plan_id)
    assert plan is not None
    values = _entitlement_values(session, environment, subscription, request)
    current_billable, current_addons, versions = migration.current_request(session, subscription)
    billable, unit_quantity, addons = migration.with_changes(
        current_billable,
        current_addons,
        billable_features=request.billableFeatures,
        unit_quantity=request.unitQuantity,
        new_addons=request.addons,
    )
    period_changed = (
        request.billingPeriod is not None
        and request.billingPeriod.value != subscription.billing_period
    )
    period = request.billingPeriod or (
        BillingPeriod(subscription.billing_period) if subscription.billing_period else None
    )
    items = resolve_items(
        session,
        environment.id,
        plan,
        billing_period=period,
        country=subscription.billing_country_code,
        billable_features=billable,
        unit_quantity=unit_quantity,
        addons=addons,
        addon_versions=versions,
    )
    coupon_given = info is not None and "couponId" in info.model_fields_set
    discount_before = (subscription.coupon_id, subscription.promotion_code_id)
    if request.promotionCode is not None or coupon_given:
        coupon, promotion_code_id = _coupon(session, environment, request, items.currency)
        subscription.coupon_id = coupon.id if coupon else None
        subscription.promotion_code_id = promotion_code_id
    if info is not None and "taxRateIds" in info.model_fields_set:
        billing_info.set_tax_rates(session, subscription, _tax_rates(session, environment, info))
    _forward_customer_information(session, _owner(session, subscription), info)
    billed_before = _billed_items(session, subscription)
    lifecycle.set_items(session, subscription, items)
    if request.unitQuantity is not None:
        subscription.unit_quantity = request.unitQuantity
    if "additionalMetaData" in request.model_fields_set:
        subscription.additional_metadata = request.additionalMetaData
    if values is not None:
        overrides.replace_all(session, subscription, values)
    if period_changed and not subscription.is_trial:
        # A new interval restarts the billing cycle now, as Stripe does.
        subscription.billing_cycle_anchor = now
        lifecycle.refresh_period(subscription, now)
    session.flush()
    if _billed_items(session, subscription) != billed_before:
        # Stripe prorates this change at this moment, as its estimate did.
        subscription.items_changed_at = now
    subscription.updated_at = now
    session.add(subscription)
    session.flush()
    _sync_billing(session, subscription, _owner(session, subscription), _is_paid(subscription))
    if (subscription.coupon_id, subscription.promotion_code_id) != discount_before:
        subscription.discount_generation = subscription.sync_generation
        session.add(subscription)
        session.flush()
    return subscription


def _entitlement_values(
    session: Session, environment: Environment, subscription: Subscription, request: UpdateRequest
) -> list[SubscriptionEntitlement] | None:
    """The subscription's new entitlement values, or None to keep them."""
    if request.subscriptionEntitlements is None:
        return None
    overrides.check_ids(session, subscription, request.subscriptionEntitlements)
    return overrides.resolve(session, environment, list(request.subscriptionEntitlements))


def _billed_items(session: Session, subscription: Subscription) -> list[tuple[str, int]]:
    """The (price, quantity) pairs Stripe bills the subscription for."""
    shown = views.load(session, subscription)
    return sorted(
        (line.price.id, line.quantity)
        for line in [*shown.plan_prices, *shown.addon_prices]
        if line.quantity > 0
    )


def _owner(session: Session, subscription: Subscription) -> Customer:
    customer = session.get(Customer, subscription.customer_id)
    assert customer is not None
    return customer


def _is_paid(subscription: Subscription) -> bool:
    return subscription.pricing_type == PricingType.PAID


def cancel_subscription(
    session: Session, environment: Environment, data: dict[str, Any]
) -> Subscription:
    request = validate(CancelRequest, data)
    now = clock.now()
    subscription = _live(
        session, environment, request.subscriptionRefId, field="input.subscriptionRefId"
    )
    if subscription.status in (SubscriptionStatus.CANCELED, SubscriptionStatus.EXPIRED):
        return subscription
    when = request.subscriptionCancellationTime
    if when == CancellationTime.SPECIFIC_DATE:
        if request.endDate is None:
            raise InvalidDate("input.endDate: required with SPECIFIC_DATE", field="input.endDate")
        if request.endDate < now:
            raise InvalidDate("input.endDate: must not be in the past", field="input.endDate")
        end_at = request.endDate
    elif when == CancellationTime.END_OF_BILLING_PERIOD:
        end_at = subscription.current_billing_period_end
    else:
        end_at = now
    if subscription.status == SubscriptionStatus.NOT_STARTED:
        # Never started: it ends where it would have begun, nothing falls back, and
        # what it was to replace stays.
        lifecycle.undo_replacement(session, subscription)
        lifecycle.end(
            session,
            subscription,
            max(now, subscription.start_date),
            SubscriptionStatus.CANCELED,
            "cancelled",
        )
    elif end_at <= now:
        lifecycle.end(session, subscription, now, SubscriptionStatus.CANCELED, "cancelled")
        lifecycle.fall_back(session, subscription, now, now)
    else:
        subscription.cancellation_date = now
        subscription.effective_end_date = end_at
        subscription.cancel_reason = "cancelled"
        subscription.updated_at = now
        session.add(subscription)
        session.flush()
    _sync_billing(session, subscription, _owner(session, subscription), _is_paid(subscription))
    return subscription


def migrate_subscription(
    session: Session, environment: Environment, data: dict[str, Any]
) -> Subscription:
    request = validate(MigrateRequest, data)
    now = clock.now()
    subscription = _live(session, environment, request.subscriptionId)
    if subscription.status in (SubscriptionStatus.CANCELED, SubscriptionStatus.EXPIRED):
        raise SubscriptionEnded(
            f"subscription {subscription.ref_id!r} has ended", field="input.subscriptionId"
        )
    if migration.is_latest(session, subscription):
        return subscription
    migration.latest_items(session, subscription)  # refuse now what could not run later
    if request.subscriptionMigrationTime == MigrationTime.IMMEDIATE:
        migration.migrate_now(session, subscription, now)
    else:
        subscription.migrate_at = subscription.current_billing_period_end
        session.add(subscription)
        session.flush()
    _sync_billing(session, subscription, _owner(session, subscription), _is_paid(subscription))
    return subscription


def get_subscription(session: Session, environment: Environment, ref_id: str) -> Subscription:
    subscription = repository.by_ref_with_customer(session, environment.id, ref_id)
    if subscription is None:
        raise SubscriptionNotFound(
            f"subscription {ref_id!r} not found", field="input.subscriptionId"
        )
    return subscription


def active_subscriptions(
    session: Session, environment: Environment, customer_id: str, resource_id: str | None
) -> list[Subscription]:
    customer = customers.find(session, environment.id, customer_id)
    if customer is None or customer.archived_at is not None:
        raise CustomerNotFound(f"customer {customer_id!r} not found", field="input.customerId")
    return repository.of_customer(session, customer.id, resource_id, statuses=list(repository.LIVE))


def view(session: Session, subscription: Subscription) -> SubscriptionView:
    return views.load(session, subscription)
