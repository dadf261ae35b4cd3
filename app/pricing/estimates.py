"""estimateSubscription and estimateSubscriptionUpdate: what a subscription or a change
costs, computed from the catalog version with the pricing engine, with no Stripe call.

A new subscription is priced for its first billing period. An update is priced as
Stripe would invoice it now: the prorations of going from the current items to the new
ones at ``prorationDate`` (now by default), or, when the billing period changes, a
credit for the unused time and the full new period at once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlmodel import Session

from app import clock
from app.catalog import reads as catalog_reads
from app.catalog import repository as catalog
from app.config import get_settings
from app.customers import repository as customers
from app.environments.service import billing_integrated
from app.errors import CustomerNotFound, ValidationFailed
from app.models import Coupon, Environment, Package, PackagePrice, Subscription
from app.models.catalog import BillingPeriod, PackageKind
from app.pricing import engine, proration
from app.pricing.totals import coupon_terms
from app.subscriptions import billing_info, migration
from app.subscriptions import repository as subscriptions
from app.subscriptions import service as subscriptions_service
from app.subscriptions.billing_info import SubscriptionBillingInformation
from app.subscriptions.errors import (
    CouponNotApplicable,
    InvalidPromotionCode,
    PlanNotFound,
    SubscriptionNotFound,
)
from app.subscriptions.items import ResolvedItems, priced, resolve_items
from app.subscriptions.periods import boundary, period_at
from app.subscriptions.schemas import (
    AddonRequest,
    AppliedCoupon,
    BillableFeatureRequest,
    TrialOverride,
)
from app.validation import check_moment, validate


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EstimateRequest(_Strict):
    customerId: str = Field(min_length=1)
    planId: str = Field(min_length=1)
    billingPeriod: BillingPeriod | None = None
    billableFeatures: list[BillableFeatureRequest] | None = None
    unitQuantity: Decimal | None = None
    addons: list[AddonRequest] | None = None
    startDate: datetime | None = None
    billingCountryCode: str | None = None
    promotionCode: str | None = None
    appliedCoupon: AppliedCoupon | None = None
    # The tax rates and the coupon change the price; the address and tax ids are the
    # customer's and change nothing here (the tax rates are the catalog's, not looked up).
    billingInformation: SubscriptionBillingInformation | None = None
    # Whether the subscription would start with a trial, as provisioning decides it (the
    # customer's slot and earlier trials, and these): the estimate's period is then the
    # first one paid, from the trial's end. A resourceId is checked as provisioning does.
    resourceId: str | None = Field(default=None, min_length=1, max_length=255)
    skipTrial: bool | None = None
    trialOverrideConfiguration: TrialOverride | None = None

    _start = field_validator("startDate")(check_moment)


class EstimateUpdateRequest(_Strict):
    subscriptionId: str = Field(min_length=1)
    billableFeatures: list[BillableFeatureRequest] | None = None
    unitQuantity: Decimal | None = None
    addons: list[AddonRequest] | None = None
    promotionCode: str | None = None
    appliedCoupon: AppliedCoupon | None = None
    billingPeriod: BillingPeriod | None = None
    prorationDate: datetime | None = None

    _proration = field_validator("prorationDate")(check_moment)


@dataclass(frozen=True)
class Estimate:
    currency: str
    quote: engine.Quote
    sub_total: Decimal
    total: Decimal
    period_start: datetime
    period_end: datetime
    proration: proration.Proration | None


def _tax_rates(
    session: Session, environment: Environment, info: SubscriptionBillingInformation | None
) -> list[engine.TaxRate]:
    """The catalog's tax rates named by ``billingInformation.taxRateIds``, in that order."""
    wanted = (info.taxRateIds if info is not None else None) or []
    rows = billing_info.tax_rates(
        session, environment.id, wanted, "input.billingInformation.taxRateIds"
    )
    return [engine.TaxRate(percentage=row.percentage, inclusive=row.inclusive) for row in rows]


def _items(session: Session, plan: Package, resolved: ResolvedItems) -> list[engine.Item]:
    """The engine's items: one per price, keyed by the price so updates match them."""
    period, country = resolved.billing_period, resolved.country
    quantities = resolved.feature_quantities
    lines = priced(session, plan, period, country, feature_quantities=quantities)
    for addon, count in resolved.addons:
        lines += priced(
            session, addon, period, country, feature_quantities=quantities, addon_quantity=count
        )
    return [
        engine.Item(key=price.id, unit_amount=price.amount, quantity=quantity)
        for price, quantity in lines
        if quantity > 0
    ]


def _coupon(
    session: Session,
    environment: Environment,
    code: str | None,
    applied: AppliedCoupon | None,
    info: SubscriptionBillingInformation | None = None,
) -> engine.Coupon | None:
    row: Coupon | None = None
    code = code or (applied.promotionCode if applied else None)
    if code:
        promotion = catalog.promotion_code(session, environment.id, code)
        if promotion is None:
            raise InvalidPromotionCode(
                f"promotion code {code!r} is not active", field="input.promotionCode"
            )
        row = catalog.coupon_by_id(session, environment.id, promotion.coupon_id)
    elif applied and applied.couponId:
        row = catalog.coupon_by_ref(session, environment.id, applied.couponId)
        if row is None:
            raise InvalidPromotionCode(
                f"coupon {applied.couponId!r} is not active", field="input.appliedCoupon.couponId"
            )
    if info is not None and info.couponId is not None:
        billed = billing_info.coupon(session, environment.id, info.couponId)
        if row is not None and row.id != billed.id:
            raise CouponNotApplicable(
                f"input.billingInformation.couponId names coupon {info.couponId!r}, another "
                f"than the one the promotion code or applied coupon gives ({row.ref_id!r})",
                field="input.billingInformation.couponId",
            )
        row = billed
    return coupon_terms(row)


def _currency(session: Session, plan: Package, resolved: ResolvedItems) -> str:
    return resolved.currency or "USD"


def estimate_subscription(
    session: Session, environment: Environment, data: dict[str, Any]
) -> Estimate:
    request = validate(EstimateRequest, data)
    billing_info.refuse_unsupported(request.billingInformation)
    tax_rates = _tax_rates(session, environment, request.billingInformation)
    customer_pk = customers.live_pk(session, environment.id, request.customerId)
    if customer_pk is None:
        raise CustomerNotFound(
            f"customer {request.customerId!r} not found", field="input.customerId"
        )
    plan = catalog_reads.latest_package(session, environment.id, PackageKind.PLAN, request.planId)
    product = catalog_reads.product(session, plan.product_id) if plan is not None else None
    if plan is None or product is None:
        raise PlanNotFound(f"unknown plan {request.planId!r}", field="input.planId")
    start = request.startDate or clock.now()
    trial_end = subscriptions_service.trial_of(
        session,
        customer_pk,
        plan,
        product,
        resource_id=request.resourceId,
        skip_trial=bool(request.skipTrial),
        override=request.trialOverrideConfiguration,
        start=start,
    )
    resolved = resolve_items(
        session,
        environment.id,
        plan,
        billing_period=request.billingPeriod,
        country=request.billingCountryCode.upper() if request.billingCountryCode else None,
        billable_features=[(f.featureId, f.quantity) for f in request.billableFeatures or []],
        unit_quantity=request.unitQuantity,
        addons=[(a.addonId, a.quantity) for a in request.addons or []],
    )
    currency = _currency(session, plan, resolved)
    quote = engine.price(
        _items(session, plan, resolved),
        currency,
        _coupon(
            session,
            environment,
            request.promotionCode,
            request.appliedCoupon,
            request.billingInformation,
        ),
        tax_rates,
    )
    # The first period billed: from the start, or from the trial's end when it has one.
    paid_from = trial_end or start
    period = resolved.billing_period or BillingPeriod.MONTHLY
    return Estimate(
        currency,
        quote,
        quote.sub_total,
        quote.total,
        paid_from,
        boundary(paid_from, period, 1),
        None,
    )


def _via_stripe(session: Session, subscription: Subscription | subscriptions.Terms) -> bool:
    return (
        get_settings().estimates_via_stripe
        and billing_integrated(session, subscription.environment_id)
        and subscription.billing_id is not None
    )


def _stripe_figures(
    session: Session,
    subscription: Subscription,
    change: proration.Proration,
    new_items: list[engine.Item],
    moment: datetime,
) -> proration.Proration:
    """The same change priced by Stripe's invoice preview instead of the local engine."""
    from app.billing.previews import preview_change  # noqa: PLC0415 - only when enabled

    pairs = []
    for item in new_items:
        price = session.get(PackagePrice, item.key)
        assert price is not None
        pairs.append((price, item.quantity))
    figures = preview_change(session, subscription, pairs, moment)
    return dataclasses.replace(
        change,
        credit=figures.credit,
        debit=figures.debit,
        net_amount=figures.credit + figures.debit,
        has_prorations=bool(figures.credit or figures.debit),
        lines=(),
    )


def estimate_subscription_update(
    session: Session, environment: Environment, data: dict[str, Any]
) -> Estimate:
    request = validate(EstimateUpdateRequest, data)
    subscription = subscriptions.terms_by_ref(session, environment.id, request.subscriptionId)
    if subscription is None:
        raise SubscriptionNotFound(
            f"subscription {request.subscriptionId!r} not found", field="input.subscriptionId"
        )
    plan = catalog_reads.package(session, subscription.plan_id)
    assert plan is not None
    billable, addons, versions = migration.current_request(session, subscription)
    current_period = (
        BillingPeriod(subscription.billing_period) if subscription.billing_period else None
    )
    country = subscription.billing_country_code
    old = resolve_items(
        session,
        environment.id,
        plan,
        billing_period=current_period,
        billable_features=billable,
        addons=addons,
        country=country,
        addon_versions=versions,
    )
    billable, unit_quantity, addons = migration.with_changes(
        billable,
        addons,
        billable_features=request.billableFeatures,
        unit_quantity=request.unitQuantity,
        new_addons=request.addons,
    )
    new_period = request.billingPeriod or current_period
    new = resolve_items(
        session,
        environment.id,
        plan,
        billing_period=new_period,
        billable_features=billable,
        unit_quantity=unit_quantity,
        addons=addons,
        country=country,
        addon_versions=versions,
    )
    currency = _currency(session, plan, old)
    old_items, new_items = _items(session, plan, old), _items(session, plan, new)
    moment = request.prorationDate or clock.now()
    start, end = subscription.current_billing_period_start, subscription.current_billing_period_end
    if not start <= moment < end:
        raise ValidationFailed(
            "input.prorationDate: must fall in the current billing period",
            field="input.prorationDate",
        )
    coupon = _coupon(session, environment, request.promotionCode, request.appliedCoupon)
    quote = engine.price(new_items, currency, coupon)
    if new_period is not None and new_period != current_period:
        new_end = boundary(moment, new_period, 1)
        change = proration.interval_change(
            old_items, new_items, start, end, moment, new_end, currency
        )
        period_start, period_end = moment, new_end
    else:
        change = proration.prorate(old_items, new_items, start, end, moment, currency)
        if _via_stripe(session, subscription):
            held = session.get(Subscription, subscription.id)
            assert held is not None
            change = _stripe_figures(session, held, change, new_items, moment)
        period_start, period_end = period_at(
            subscription.billing_cycle_anchor, new_period or BillingPeriod.MONTHLY, moment
        )
    return Estimate(
        currency, quote, change.net_amount, change.net_amount, period_start, period_end, change
    )
