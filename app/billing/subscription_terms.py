"""The terms a Stripe subscription is billed on besides its items: tax rates, discounts,
and the moment a change of items is prorated at.

Tax rates are compared with Stripe's and set whenever they differ: Stripe never drops
them by itself. Discounts are not: Stripe removes one that has run its course, so they
are set only while a local change of coupon is not yet synced (the caller decides), or
an ended coupon would be put back on every sync. Each write is named by the local id
and the sync generation it brings Stripe to.
"""

from __future__ import annotations

from datetime import datetime

import stripe
import structlog
from stripe.params import SubscriptionUpdateParams, SubscriptionUpdateParamsDiscount

from app.billing.catalog import ensure_tax_rate
from app.billing.client import gateway
from app.billing.idempotency import idempotency_key

log = structlog.get_logger(__name__)


def stripe_tax_rates(tax_rate_ids: tuple[str, ...]) -> list[str]:
    """The Stripe tax rates of the local ones, in the same order."""
    return [ensure_tax_rate(tax_rate_id) for tax_rate_id in tax_rate_ids]


def sync_tax_rates(
    environment_id: str,
    subscription_id: str,
    generation: int,
    wanted: list[str],
    remote: stripe.Subscription,
) -> None:
    current = [rate.id for rate in remote.default_tax_rates or []]
    if current == wanted:
        return
    params: SubscriptionUpdateParams = {"default_tax_rates": wanted if wanted else ""}
    gw = gateway(environment_id)
    billing_id = remote.id
    key = idempotency_key("subscription.tax_rates", subscription_id, revision=str(generation))
    gw.call(lambda: gw.stripe.v1.subscriptions.update(billing_id, params, {"idempotency_key": key}))
    log.info("stripe.subscription.tax_rates_updated", billing_id=billing_id)


def set_discounts(
    environment_id: str,
    subscription_id: str,
    generation: int,
    wanted: list[SubscriptionUpdateParamsDiscount],
    remote: stripe.Subscription,
) -> None:
    params: SubscriptionUpdateParams = {"discounts": wanted if wanted else ""}
    gw = gateway(environment_id)
    billing_id = remote.id
    key = idempotency_key("subscription.discounts", subscription_id, revision=str(generation))
    gw.call(lambda: gw.stripe.v1.subscriptions.update(billing_id, params, {"idempotency_key": key}))
    log.info("stripe.subscription.discounts_updated", billing_id=billing_id)


def proration_date(changed_at: datetime | None, remote: stripe.Subscription) -> int | None:
    """When Stripe should prorate a change of items: the moment it was made here.

    None (Stripe's "now") when that moment is unknown or no longer in Stripe's current
    period, which Stripe refuses (a change synced only after a renewal).
    """
    items = remote["items"].data
    if changed_at is None or not items:
        return None
    moment = int(changed_at.timestamp())
    period = items[0]
    if period.current_period_start <= moment < period.current_period_end:
        return moment
    return None
