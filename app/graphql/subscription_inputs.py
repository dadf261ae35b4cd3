"""Subscription inputs, named as the platform names them.

Each input reaches the service as ``as_dict(input)``: the GraphQL names, with the
fields the client left out absent, so the service can tell "not sent" from ``null``.
``SubscriptionAddonInput`` and friends are shared with ``provisionCustomer``'s
``subscriptionParams``, so this module must not import ``app.graphql.customers`` at
load time; ``TaxExempt`` (a customer input) is referenced lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.graphql.common import (
    JSON,
    BillingPeriod,
    EntitlementResetPeriod,
    SubscriptionCancellationTime,
    SubscriptionMigrationTime,
    TrialEndBehavior,
)
from app.graphql.reset_periods import (
    MonthlyResetPeriodConfigInput,
    WeeklyResetPeriodConfigInput,
    YearlyResetPeriodConfigInput,
)

if TYPE_CHECKING:
    from app.graphql.customers import TaxExempt

UNSET: Any = strawberry.UNSET


@strawberry.input
class SubscriptionAddonInput:
    addon_id: str
    quantity: int | None = UNSET


@strawberry.input
class BillableFeatureInput:
    feature_id: str
    quantity: float


@strawberry.input
class SubscriptionCouponInput:
    billing_coupon_id: str | None = UNSET
    coupon_id: str | None = UNSET
    promotion_code: str | None = UNSET


@strawberry.input
class TrialOverrideConfigurationInput:
    is_trial: bool
    trial_end_behavior: TrialEndBehavior | None = UNSET
    trial_end_date: str | None = UNSET


@strawberry.input
class BillingAddress:
    city: str | None = UNSET
    country: str | None = UNSET
    line1: str | None = UNSET
    line2: str | None = UNSET
    postal_code: str | None = UNSET
    state: str | None = UNSET


@strawberry.input
class SubscriptionBillingInfo:
    billing_address: BillingAddress | None = UNSET
    charge_on_behalf_of_account: str | None = UNSET
    coupon_id: str | None = UNSET
    integration_id: str | None = UNSET
    invoice_days_until_due: float | None = UNSET
    is_backdated: bool | None = UNSET
    is_invoice_paid: bool | None = UNSET
    metadata: JSON | None = UNSET
    tax_ids: list[Annotated[TaxExempt, strawberry.lazy("app.graphql.customers")]] | None = UNSET
    tax_percentage: float | None = UNSET
    tax_rate_ids: list[str] | None = UNSET


@strawberry.input
class CheckoutOptions:
    success_url: str
    cancel_url: str
    allow_promo_codes: bool | None = UNSET
    allow_tax_id_collection: bool | None = UNSET
    collect_billing_address: bool | None = UNSET
    collect_phone_number: bool | None = UNSET
    reference_id: str | None = UNSET


@strawberry.input
class SubscriptionEntitlementInput:
    feature_id: str
    usage_limit: float | None = UNSET
    has_unlimited_usage: bool | None = UNSET
    has_soft_limit: bool | None = UNSET
    reset_period: EntitlementResetPeriod | None = UNSET
    monthly_reset_period_configuration: MonthlyResetPeriodConfigInput | None = UNSET
    weekly_reset_period_configuration: WeeklyResetPeriodConfigInput | None = UNSET
    yearly_reset_period_configuration: YearlyResetPeriodConfigInput | None = UNSET
    description: str | None = UNSET


@strawberry.input
class UpdateSubscriptionEntitlementInput:
    id: str | None = UNSET
    feature_id: str | None = UNSET
    usage_limit: float | None = UNSET
    has_unlimited_usage: bool | None = UNSET
    has_soft_limit: bool | None = UNSET
    reset_period: EntitlementResetPeriod | None = UNSET
    monthly_reset_period_configuration: MonthlyResetPeriodConfigInput | None = UNSET
    weekly_reset_period_configuration: WeeklyResetPeriodConfigInput | None = UNSET
    yearly_reset_period_configuration: YearlyResetPeriodConfigInput | None = UNSET


@strawberry.input
class _PlanChoice:
    """The fields every way of subscribing shares (not a GraphQL type of its own)."""

    plan_id: str
    additional_meta_data: JSON | None = UNSET
    addons: list[SubscriptionAddonInput] | None = UNSET
    applied_coupon: SubscriptionCouponInput | None = UNSET
    await_payment_confirmation: bool | None = UNSET
    billable_features: list[BillableFeatureInput] | None = UNSET
    billing_country_code: str | None = UNSET
    billing_period: BillingPeriod | None = UNSET
    promotion_code: str | None = UNSET
    resource_id: str | None = UNSET
    start_date: str | None = UNSET
    subscription_entitlements: list[SubscriptionEntitlementInput] | None = UNSET
    unit_quantity: float | None = UNSET


@strawberry.input
class ProvisionSubscriptionInput(_PlanChoice):
    customer_id: str
    billing_information: SubscriptionBillingInfo | None = UNSET
    checkout_options: CheckoutOptions | None = UNSET
    ref_id: str | None = UNSET
    skip_trial: bool | None = UNSET
    trial_override_configuration: TrialOverrideConfigurationInput | None = UNSET


@strawberry.input
class SubscriptionInput(_PlanChoice):
    customer_id: str
    billing_information: SubscriptionBillingInfo | None = UNSET
    is_trial: bool | None = UNSET
    ref_id: str | None = UNSET
    trial_end_behavior: TrialEndBehavior | None = UNSET


@strawberry.input
class ProvisionCustomerSubscriptionInput(_PlanChoice):
    trial_override_configuration: TrialOverrideConfigurationInput | None = UNSET


@strawberry.input
class UpdateSubscriptionInput:
    # Either names the subscription (its refId); the platform accepts both.
    subscription_id: str | None = UNSET
    ref_id: str | None = UNSET
    additional_meta_data: JSON | None = UNSET
    addons: list[SubscriptionAddonInput] | None = UNSET
    billable_features: list[BillableFeatureInput] | None = UNSET
    billing_information: SubscriptionBillingInfo | None = UNSET
    billing_period: BillingPeriod | None = UNSET
    promotion_code: str | None = UNSET
    subscription_entitlements: list[UpdateSubscriptionEntitlementInput] | None = UNSET
    unit_quantity: float | None = UNSET


@strawberry.input
class SubscriptionCancellationInput:
    subscription_ref_id: str
    end_date: str | None = UNSET
    subscription_cancellation_time: SubscriptionCancellationTime | None = UNSET


@strawberry.input
class SubscriptionMigrationInput:
    subscription_id: str
    subscription_migration_time: SubscriptionMigrationTime | None = UNSET


@strawberry.input
class GetActiveSubscriptionsInput:
    customer_id: str
    resource_id: str | None = None


@strawberry.input
class GetSubscriptionInput:
    subscription_id: str
