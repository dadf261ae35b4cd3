from typing import Any, Optional

from pydantic import Field

from .base_model import BaseModel
from .enums import (
    BillingPeriod,
    CouponSortFields,
    CouponStatus,
    CouponType,
    EntitlementResetPeriod,
    MonthlyAccordingTo,
    PromotionalEntitlementPeriod,
    SortDirection,
    SubscriptionCancellationTime,
    SubscriptionMigrationTime,
    TrialEndBehavior,
    UsageUpdateBehavior,
    WeeklyAccordingTo,
    YearlyAccordingTo,
)


class Address(BaseModel):
    address_line_1: Optional[str] = Field(alias="addressLine1", default=None)
    address_line_2: Optional[str] = Field(alias="addressLine2", default=None)
    city: Optional[str] = None
    country: Optional[str] = None
    phone_number: Optional[str] = Field(alias="phoneNumber", default=None)
    postal_code: Optional[str] = Field(alias="postalCode", default=None)
    state: Optional[str] = None


class ArchiveCustomerInput(BaseModel):
    customer_id: str = Field(alias="customerId")


class BillableFeatureInput(BaseModel):
    feature_id: str = Field(alias="featureId")
    quantity: float


class BillingAddress(BaseModel):
    city: Optional[str] = None
    country: Optional[str] = None
    line_1: Optional[str] = Field(alias="line1", default=None)
    line_2: Optional[str] = Field(alias="line2", default=None)
    postal_code: Optional[str] = Field(alias="postalCode", default=None)
    state: Optional[str] = None


class CheckoutOptions(BaseModel):
    success_url: str = Field(alias="successUrl")
    cancel_url: str = Field(alias="cancelUrl")
    allow_promo_codes: Optional[bool] = Field(alias="allowPromoCodes", default=None)
    allow_tax_id_collection: Optional[bool] = Field(
        alias="allowTaxIdCollection", default=None
    )
    collect_billing_address: Optional[bool] = Field(
        alias="collectBillingAddress", default=None
    )
    collect_phone_number: Optional[bool] = Field(
        alias="collectPhoneNumber", default=None
    )
    reference_id: Optional[str] = Field(alias="referenceId", default=None)


class CouponFilter(BaseModel):
    and_: Optional[list["CouponFilter"]] = Field(alias="and", default=None)
    or_: Optional[list["CouponFilter"]] = Field(alias="or", default=None)
    ref_id: Optional["StringFieldComparison"] = Field(alias="refId", default=None)
    name: Optional["StringFieldComparison"] = None
    status: Optional["CouponStatusFilterComparison"] = None
    type_: Optional["CouponTypeFilterComparison"] = Field(alias="type", default=None)


class CouponSort(BaseModel):
    field: CouponSortFields
    direction: SortDirection = SortDirection.ASC


class CouponStatusFilterComparison(BaseModel):
    eq: Optional[CouponStatus] = None
    neq: Optional[CouponStatus] = None
    in_: Optional[list[CouponStatus]] = Field(alias="in", default=None)
    not_in: Optional[list[CouponStatus]] = Field(alias="notIn", default=None)


class CouponTypeFilterComparison(BaseModel):
    eq: Optional[CouponType] = None
    neq: Optional[CouponType] = None
    in_: Optional[list[CouponType]] = Field(alias="in", default=None)
    not_in: Optional[list[CouponType]] = Field(alias="notIn", default=None)


class CursorPaging(BaseModel):
    first: Optional[int] = None
    after: Optional[str] = None


class CustomerBillingInfo(BaseModel):
    billing_address: Optional["Address"] = Field(alias="billingAddress", default=None)
    currency: Optional[str] = None
    customer_name: Optional[str] = Field(alias="customerName", default=None)
    integration_id: Optional[str] = Field(alias="integrationId", default=None)
    invoice_custom_fields: Optional[Any] = Field(
        alias="invoiceCustomFields", default=None
    )
    language: Optional[str] = None
    metadata: Optional[Any] = None
    payment_method_id: Optional[str] = Field(alias="paymentMethodId", default=None)
    shipping_address: Optional["Address"] = Field(alias="shippingAddress", default=None)
    tax_ids: Optional[list["TaxExempt"]] = Field(alias="taxIds", default=None)
    timezone: Optional[str] = None


class EntitlementOptions(BaseModel):
    requested_usage: Optional[float] = Field(alias="requestedUsage", default=None)
    requested_values: Optional[list[str]] = Field(alias="requestedValues", default=None)


class EntitlementsUpdatedInput(BaseModel):
    customer_id: str = Field(alias="customerId")
    resource_id: Optional[str] = Field(alias="resourceId", default=None)


class EstimateSubscriptionInput(BaseModel):
    customer_id: str = Field(alias="customerId")
    plan_id: str = Field(alias="planId")
    addons: Optional[list["SubscriptionAddonInput"]] = None
    applied_coupon: Optional["SubscriptionCouponInput"] = Field(
        alias="appliedCoupon", default=None
    )
    billable_features: Optional[list["BillableFeatureInput"]] = Field(
        alias="billableFeatures", default=None
    )
    billing_country_code: Optional[str] = Field(
        alias="billingCountryCode", default=None
    )
    billing_information: Optional["SubscriptionBillingInfo"] = Field(
        alias="billingInformation", default=None
    )
    billing_period: Optional[BillingPeriod] = Field(alias="billingPeriod", default=None)
    promotion_code: Optional[str] = Field(alias="promotionCode", default=None)
    resource_id: Optional[str] = Field(alias="resourceId", default=None)
    skip_trial: Optional[bool] = Field(alias="skipTrial", default=None)
    start_date: Optional[str] = Field(alias="startDate", default=None)
    trial_override_configuration: Optional["TrialOverrideConfigurationInput"] = Field(
        alias="trialOverrideConfiguration", default=None
    )
    unit_quantity: Optional[float] = Field(alias="unitQuantity", default=None)


class EstimateSubscriptionUpdateInput(BaseModel):
    subscription_id: str = Field(alias="subscriptionId")
    addons: Optional[list["SubscriptionAddonInput"]] = None
    applied_coupon: Optional["SubscriptionCouponInput"] = Field(
        alias="appliedCoupon", default=None
    )
    billable_features: Optional[list["BillableFeatureInput"]] = Field(
        alias="billableFeatures", default=None
    )
    billing_period: Optional[BillingPeriod] = Field(alias="billingPeriod", default=None)
    promotion_code: Optional[str] = Field(alias="promotionCode", default=None)
    proration_date: Optional[str] = Field(alias="prorationDate", default=None)
    unit_quantity: Optional[float] = Field(alias="unitQuantity", default=None)


class FetchEntitlementQuery(BaseModel):
    customer_id: str = Field(alias="customerId")
    feature_id: str = Field(alias="featureId")
    resource_id: Optional[str] = Field(alias="resourceId", default=None)
    options: Optional["EntitlementOptions"] = None


class FetchEntitlementsQuery(BaseModel):
    customer_id: str = Field(alias="customerId")
    resource_id: Optional[str] = Field(alias="resourceId", default=None)


class GetActiveSubscriptionsInput(BaseModel):
    customer_id: str = Field(alias="customerId")
    resource_id: Optional[str] = Field(alias="resourceId", default=None)


class GetCustomerByRefIdInput(BaseModel):
    customer_id: str = Field(alias="customerId")


class GetSubscriptionInput(BaseModel):
    subscription_id: str = Field(alias="subscriptionId")


class GrantPromotionalEntitlementInput(BaseModel):
    feature_id: str = Field(alias="featureId")
    period: PromotionalEntitlementPeriod
    custom_end_date: Optional[str] = Field(alias="customEndDate", default=None)
    usage_limit: Optional[float] = Field(alias="usageLimit", default=None)
    has_unlimited_usage: Optional[bool] = Field(alias="hasUnlimitedUsage", default=None)
    has_soft_limit: Optional[bool] = Field(alias="hasSoftLimit", default=None)
    enum_values: Optional[list[str]] = Field(alias="enumValues", default=None)
    is_visible: Optional[bool] = Field(alias="isVisible", default=None)
    reset_period: Optional[EntitlementResetPeriod] = Field(
        alias="resetPeriod", default=None
    )
    monthly_reset_period_configuration: Optional["MonthlyResetPeriodConfigInput"] = (
        Field(alias="monthlyResetPeriodConfiguration", default=None)
    )
    weekly_reset_period_configuration: Optional["WeeklyResetPeriodConfigInput"] = Field(
        alias="weeklyResetPeriodConfiguration", default=None
    )
    yearly_reset_period_configuration: Optional["YearlyResetPeriodConfigInput"] = Field(
        alias="yearlyResetPeriodConfiguration", default=None
    )


class GrantPromotionalEntitlementsInput(BaseModel):
    customer_id: str = Field(alias="customerId")
    environment_id: Optional[str] = Field(alias="environmentId", default=None)
    promotional_entitlements: list["GrantPromotionalEntitlementInput"] = Field(
        alias="promotionalEntitlements"
    )


class ImportCustomerBulkInput(BaseModel):
    customers: Optional[list["ImportCustomerInput"]] = None
    environment_id: Optional[str] = Field(alias="environmentId", default=None)
    integration_id: Optional[str] = Field(alias="integrationId", default=None)
    skip_invalid: Optional[bool] = Field(alias="skipInvalid", default=None)
    "Import the valid rows and report the others (default: refuse all)."


class ImportCustomerInput(BaseModel):
    additional_meta_data: Optional[Any] = Field(
        alias="additionalMetaData", default=None
    )
    billing_id: Optional[str] = Field(alias="billingId", default=None)
    customer_id: Optional[str] = Field(alias="customerId", default=None)
    email: Optional[str] = None
    environment_id: Optional[str] = Field(alias="environmentId", default=None)
    name: Optional[str] = None
    payment_method_id: Optional[str] = Field(alias="paymentMethodId", default=None)
    ref_id: Optional[str] = Field(alias="refId", default=None)
    salesforce_id: Optional[str] = Field(alias="salesforceId", default=None)
    updated_at: Optional[str] = Field(alias="updatedAt", default=None)


class ImportSubscriptionInput(BaseModel):
    additional_meta_data: Optional[Any] = Field(
        alias="additionalMetaData", default=None
    )
    addons: Optional[list["SubscriptionAddonInput"]] = None
    billable_features: Optional[list["BillableFeatureInput"]] = Field(
        alias="billableFeatures", default=None
    )
    billing_id: Optional[str] = Field(alias="billingId", default=None)
    billing_period: Optional[BillingPeriod] = Field(alias="billingPeriod", default=None)
    customer_id: str = Field(alias="customerId")
    end_date: Optional[str] = Field(alias="endDate", default=None)
    plan_id: str = Field(alias="planId")
    resource_id: Optional[str] = Field(alias="resourceId", default=None)
    salesforce_id: Optional[str] = Field(alias="salesforceId", default=None)
    start_date: Optional[str] = Field(alias="startDate", default=None)
    subscription_entitlements: Optional[list["SubscriptionEntitlementInput"]] = Field(
        alias="subscriptionEntitlements", default=None
    )
    subscription_id: Optional[str] = Field(alias="subscriptionId", default=None)
    unit_quantity: Optional[float] = Field(alias="unitQuantity", default=None)
    updated_at: Optional[str] = Field(alias="updatedAt", default=None)


class ImportSubscriptionsBulkInput(BaseModel):
    environment_id: Optional[str] = Field(alias="environmentId", default=None)
    integration_id: Optional[str] = Field(alias="integrationId", default=None)
    subscriptions: Optional[list["ImportSubscriptionInput"]] = None
    skip_invalid: Optional[bool] = Field(alias="skipInvalid", default=None)
    "Import the valid rows and report the others (default: refuse all)."


class ImportUsageBulkInput(BaseModel):
    environment_id: Optional[str] = Field(alias="environmentId", default=None)
    usages: Optional[list["ImportUsageInput"]] = None
    skip_invalid: Optional[bool] = Field(alias="skipInvalid", default=None)


class ImportUsageInput(BaseModel):
    customer_id: str = Field(alias="customerId")
    feature_id: str = Field(alias="featureId")
    resource_id: Optional[str] = Field(alias="resourceId", default=None)
    usage: float


class MonthlyResetPeriodConfigInput(BaseModel):
    according_to: MonthlyAccordingTo = Field(alias="accordingTo")


class ProvisionCustomerInput(BaseModel):
    additional_meta_data: Optional[Any] = Field(
        alias="additionalMetaData", default=None
    )
    billing_id: Optional[str] = Field(alias="billingId", default=None)
    billing_information: Optional["CustomerBillingInfo"] = Field(
        alias="billingInformation", default=None
    )
    coupon_ref_id: Optional[str] = Field(alias="couponRefId", default=None)
    crm_id: Optional[str] = Field(alias="crmId", default=None)
    customer_id: Optional[str] = Field(alias="customerId", default=None)
    email: Optional[str] = None
    exclude_from_experiment: Optional[bool] = Field(
        alias="excludeFromExperiment", default=None
    )
    name: Optional[str] = None
    ref_id: Optional[str] = Field(alias="refId", default=None)
    should_sync_free: Optional[bool] = Field(alias="shouldSyncFree", default=None)
    subscription_params: Optional["ProvisionCustomerSubscriptionInput"] = Field(
        alias="subscriptionParams", default=None
    )


class ProvisionCustomerSubscriptionInput(BaseModel):
    plan_id: str = Field(alias="planId")
    additional_meta_data: Optional[Any] = Field(
        alias="additionalMetaData", default=None
    )
    addons: Optional[list["SubscriptionAddonInput"]] = None
    applied_coupon: Optional["SubscriptionCouponInput"] = Field(
        alias="appliedCoupon", default=None
    )
    await_payment_confirmation: Optional[bool] = Field(
        alias="awaitPaymentConfirmation", default=None
    )
    billable_features: Optional[list["BillableFeatureInput"]] = Field(
        alias="billableFeatures", default=None
    )
    billing_country_code: Optional[str] = Field(
        alias="billingCountryCode", default=None
    )
    billing_period: Optional[BillingPeriod] = Field(alias="billingPeriod", default=None)
    promotion_code: Optional[str] = Field(alias="promotionCode", default=None)
    resource_id: Optional[str] = Field(alias="resourceId", default=None)
    start_date: Optional[str] = Field(alias="startDate", default=None)
    subscription_entitlements: Optional[list["SubscriptionEntitlementInput"]] = Field(
        alias="subscriptionEntitlements", default=None
    )
    unit_quantity: Optional[float] = Field(alias="unitQuantity", default=None)
    trial_override_configuration: Optional["TrialOverrideConfigurationInput"] = Field(
        alias="trialOverrideConfiguration", default=None
    )


class ProvisionSubscriptionInput(BaseModel):
    plan_id: str = Field(alias="planId")
    additional_meta_data: Optional[Any] = Field(
        alias="additionalMetaData", default=None
    )
    addons: Optional[list["SubscriptionAddonInput"]] = None
    applied_coupon: Optional["SubscriptionCouponInput"] = Field(
        alias="appliedCoupon", default=None
    )
    await_payment_confirmation: Optional[bool] = Field(
        alias="awaitPaymentConfirmation", default=None
    )
    billable_features: Optional[list["BillableFeatureInput"]] = Field(
        alias="billableFeatures", default=None
    )
    billing_country_code: Optional[str] = Field(
        alias="billingCountryCode", default=None
    )
    billing_period: Optional[BillingPeriod] = Field(alias="billingPeriod", default=None)
    promotion_code: Optional[str] = Field(alias="promotionCode", default=None)
    resource_id: Optional[str] = Field(alias="resourceId", default=None)
    start_date: Optional[str] = Field(alias="startDate", default=None)
    subscription_entitlements: Optional[list["SubscriptionEntitlementInput"]] = Field(
        alias="subscriptionEntitlements", default=None
    )
    unit_quantity: Optional[float] = Field(alias="unitQuantity", default=None)
    customer_id: str = Field(alias="customerId")
    billing_information: Optional["SubscriptionBillingInfo"] = Field(
        alias="billingInformation", default=None
    )
    checkout_options: Optional["CheckoutOptions"] = Field(
        alias="checkoutOptions", default=None
    )
    ref_id: Optional[str] = Field(alias="refId", default=None)
    skip_trial: Optional[bool] = Field(alias="skipTrial", default=None)
    trial_override_configuration: Optional["TrialOverrideConfigurationInput"] = Field(
        alias="trialOverrideConfiguration", default=None
    )


class ReportUsageBaseInput(BaseModel):
    customer_id: str = Field(alias="customerId")
    feature_id: str = Field(alias="featureId")
    value: float
    resource_id: Optional[str] = Field(alias="resourceId", default=None)
    update_behavior: Optional[UsageUpdateBehavior] = Field(
        alias="updateBehavior", default=None
    )
    idempotency_key: Optional[str] = Field(alias="idempotencyKey", default=None)
    created_at: Optional[str] = Field(alias="createdAt", default=None)
    dimensions: Optional[Any] = None


class ReportUsageBulkInput(BaseModel):
    usages: list["ReportUsageBaseInput"]


class ReportUsageInput(BaseModel):
    customer_id: str = Field(alias="customerId")
    feature_id: str = Field(alias="featureId")
    value: float
    resource_id: Optional[str] = Field(alias="resourceId", default=None)
    update_behavior: Optional[UsageUpdateBehavior] = Field(
        alias="updateBehavior", default=None
    )
    idempotency_key: Optional[str] = Field(alias="idempotencyKey", default=None)
    created_at: Optional[str] = Field(alias="createdAt", default=None)
    dimensions: Optional[Any] = None


class RevokePromotionalEntitlementInput(BaseModel):
    customer_id: str = Field(alias="customerId")
    environment_id: Optional[str] = Field(alias="environmentId", default=None)
    feature_id: str = Field(alias="featureId")


class StringFieldComparison(BaseModel):
    eq: Optional[str] = None
    neq: Optional[str] = None
    in_: Optional[list[str]] = Field(alias="in", default=None)
    not_in: Optional[list[str]] = Field(alias="notIn", default=None)


class SubscriptionAddonInput(BaseModel):
    addon_id: str = Field(alias="addonId")
    quantity: Optional[int] = None


class SubscriptionBillingInfo(BaseModel):
    billing_address: Optional["BillingAddress"] = Field(
        alias="billingAddress", default=None
    )
    charge_on_behalf_of_account: Optional[str] = Field(
        alias="chargeOnBehalfOfAccount", default=None
    )
    coupon_id: Optional[str] = Field(alias="couponId", default=None)
    integration_id: Optional[str] = Field(alias="integrationId", default=None)
    invoice_days_until_due: Optional[float] = Field(
        alias="invoiceDaysUntilDue", default=None
    )
    is_backdated: Optional[bool] = Field(alias="isBackdated", default=None)
    is_invoice_paid: Optional[bool] = Field(alias="isInvoicePaid", default=None)
    metadata: Optional[Any] = None
    tax_ids: Optional[list["TaxExempt"]] = Field(alias="taxIds", default=None)
    tax_percentage: Optional[float] = Field(alias="taxPercentage", default=None)
    tax_rate_ids: Optional[list[str]] = Field(alias="taxRateIds", default=None)


class SubscriptionCancellationInput(BaseModel):
    subscription_ref_id: str = Field(alias="subscriptionRefId")
    end_date: Optional[str] = Field(alias="endDate", default=None)
    subscription_cancellation_time: Optional[SubscriptionCancellationTime] = Field(
        alias="subscriptionCancellationTime", default=None
    )


class SubscriptionCouponInput(BaseModel):
    billing_coupon_id: Optional[str] = Field(alias="billingCouponId", default=None)
    coupon_id: Optional[str] = Field(alias="couponId", default=None)
    promotion_code: Optional[str] = Field(alias="promotionCode", default=None)


class SubscriptionEntitlementInput(BaseModel):
    feature_id: str = Field(alias="featureId")
    usage_limit: Optional[float] = Field(alias="usageLimit", default=None)
    has_unlimited_usage: Optional[bool] = Field(alias="hasUnlimitedUsage", default=None)
    has_soft_limit: Optional[bool] = Field(alias="hasSoftLimit", default=None)
    reset_period: Optional[EntitlementResetPeriod] = Field(
        alias="resetPeriod", default=None
    )
    monthly_reset_period_configuration: Optional["MonthlyResetPeriodConfigInput"] = (
        Field(alias="monthlyResetPeriodConfiguration", default=None)
    )
    weekly_reset_period_configuration: Optional["WeeklyResetPeriodConfigInput"] = Field(
        alias="weeklyResetPeriodConfiguration", default=None
    )
    yearly_reset_period_configuration: Optional["YearlyResetPeriodConfigInput"] = Field(
        alias="yearlyResetPeriodConfiguration", default=None
    )
    description: Optional[str] = None


class SubscriptionInput(BaseModel):
    plan_id: str = Field(alias="planId")
    additional_meta_data: Optional[Any] = Field(
        alias="additionalMetaData", default=None
    )
    addons: Optional[list["SubscriptionAddonInput"]] = None
    applied_coupon: Optional["SubscriptionCouponInput"] = Field(
        alias="appliedCoupon", default=None
    )
    await_payment_confirmation: Optional[bool] = Field(
        alias="awaitPaymentConfirmation", default=None
    )
    billable_features: Optional[list["BillableFeatureInput"]] = Field(
        alias="billableFeatures", default=None
    )
    billing_country_code: Optional[str] = Field(
        alias="billingCountryCode", default=None
    )
    billing_period: Optional[BillingPeriod] = Field(alias="billingPeriod", default=None)
    promotion_code: Optional[str] = Field(alias="promotionCode", default=None)
    resource_id: Optional[str] = Field(alias="resourceId", default=None)
    start_date: Optional[str] = Field(alias="startDate", default=None)
    subscription_entitlements: Optional[list["SubscriptionEntitlementInput"]] = Field(
        alias="subscriptionEntitlements", default=None
    )
    unit_quantity: Optional[float] = Field(alias="unitQuantity", default=None)
    customer_id: str = Field(alias="customerId")
    billing_information: Optional["SubscriptionBillingInfo"] = Field(
        alias="billingInformation", default=None
    )
    is_trial: Optional[bool] = Field(alias="isTrial", default=None)
    ref_id: Optional[str] = Field(alias="refId", default=None)
    trial_end_behavior: Optional[TrialEndBehavior] = Field(
        alias="trialEndBehavior", default=None
    )


class SubscriptionMigrationInput(BaseModel):
    subscription_id: str = Field(alias="subscriptionId")
    subscription_migration_time: Optional[SubscriptionMigrationTime] = Field(
        alias="subscriptionMigrationTime", default=None
    )


class TaxExempt(BaseModel):
    type_: str = Field(alias="type")
    value: str


class TrialOverrideConfigurationInput(BaseModel):
    is_trial: bool = Field(alias="isTrial")
    trial_end_behavior: Optional[TrialEndBehavior] = Field(
        alias="trialEndBehavior", default=None
    )
    trial_end_date: Optional[str] = Field(alias="trialEndDate", default=None)


class UnarchiveCustomerInput(BaseModel):
    customer_id: str = Field(alias="customerId")


class UpdateCustomerInput(BaseModel):
    additional_meta_data: Optional[Any] = Field(
        alias="additionalMetaData", default=None
    )
    billing_id: Optional[str] = Field(alias="billingId", default=None)
    billing_information: Optional["CustomerBillingInfo"] = Field(
        alias="billingInformation", default=None
    )
    coupon_ref_id: Optional[str] = Field(alias="couponRefId", default=None)
    crm_id: Optional[str] = Field(alias="crmId", default=None)
    customer_id: Optional[str] = Field(alias="customerId", default=None)
    email: Optional[str] = None
    name: Optional[str] = None
    ref_id: Optional[str] = Field(alias="refId", default=None)
    should_wait_sync: Optional[bool] = Field(alias="shouldWaitSync", default=None)


class UpdateSubscriptionEntitlementInput(BaseModel):
    id: Optional[str] = None
    feature_id: Optional[str] = Field(alias="featureId", default=None)
    usage_limit: Optional[float] = Field(alias="usageLimit", default=None)
    has_unlimited_usage: Optional[bool] = Field(alias="hasUnlimitedUsage", default=None)
    has_soft_limit: Optional[bool] = Field(alias="hasSoftLimit", default=None)
    reset_period: Optional[EntitlementResetPeriod] = Field(
        alias="resetPeriod", default=None
    )
    monthly_reset_period_configuration: Optional["MonthlyResetPeriodConfigInput"] = (
        Field(alias="monthlyResetPeriodConfiguration", default=None)
    )
    weekly_reset_period_configuration: Optional["WeeklyResetPeriodConfigInput"] = Field(
        alias="weeklyResetPeriodConfiguration", default=None
    )
    yearly_reset_period_configuration: Optional["YearlyResetPeriodConfigInput"] = Field(
        alias="yearlyResetPeriodConfiguration", default=None
    )


class UpdateSubscriptionInput(BaseModel):
    subscription_id: Optional[str] = Field(alias="subscriptionId", default=None)
    ref_id: Optional[str] = Field(alias="refId", default=None)
    additional_meta_data: Optional[Any] = Field(
        alias="additionalMetaData", default=None
    )
    addons: Optional[list["SubscriptionAddonInput"]] = None
    billable_features: Optional[list["BillableFeatureInput"]] = Field(
        alias="billableFeatures", default=None
    )
    billing_information: Optional["SubscriptionBillingInfo"] = Field(
        alias="billingInformation", default=None
    )
    billing_period: Optional[BillingPeriod] = Field(alias="billingPeriod", default=None)
    promotion_code: Optional[str] = Field(alias="promotionCode", default=None)
    subscription_entitlements: Optional[list["UpdateSubscriptionEntitlementInput"]] = (
        Field(alias="subscriptionEntitlements", default=None)
    )
    unit_quantity: Optional[float] = Field(alias="unitQuantity", default=None)


class UsageEventReportInput(BaseModel):
    customer_id: str = Field(alias="customerId")
    event_name: str = Field(alias="eventName")
    idempotency_key: str = Field(alias="idempotencyKey")
    resource_id: Optional[str] = Field(alias="resourceId", default=None)
    dimensions: Optional[Any] = None
    timestamp: Optional[str] = None


class UsageEventsReportInput(BaseModel):
    usage_events: list["UsageEventReportInput"] = Field(alias="usageEvents")


class WeeklyResetPeriodConfigInput(BaseModel):
    according_to: WeeklyAccordingTo = Field(alias="accordingTo")


class YearlyResetPeriodConfigInput(BaseModel):
    according_to: YearlyAccordingTo = Field(alias="accordingTo")


CouponFilter.model_rebuild()
CustomerBillingInfo.model_rebuild()
EstimateSubscriptionInput.model_rebuild()
EstimateSubscriptionUpdateInput.model_rebuild()
FetchEntitlementQuery.model_rebuild()
GrantPromotionalEntitlementInput.model_rebuild()
GrantPromotionalEntitlementsInput.model_rebuild()
ImportCustomerBulkInput.model_rebuild()
ImportSubscriptionInput.model_rebuild()
ImportSubscriptionsBulkInput.model_rebuild()
ImportUsageBulkInput.model_rebuild()
ProvisionCustomerInput.model_rebuild()
ProvisionCustomerSubscriptionInput.model_rebuild()
ProvisionSubscriptionInput.model_rebuild()
ReportUsageBulkInput.model_rebuild()
SubscriptionBillingInfo.model_rebuild()
SubscriptionEntitlementInput.model_rebuild()
SubscriptionInput.model_rebuild()
UpdateCustomerInput.model_rebuild()
UpdateSubscriptionEntitlementInput.model_rebuild()
UpdateSubscriptionInput.model_rebuild()
UsageEventsReportInput.model_rebuild()
