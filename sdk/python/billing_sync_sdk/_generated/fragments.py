from typing import Any, Optional

from pydantic import Field

from .base_model import BaseModel
from .enums import (
    AccessDeniedReason,
    BillingModel,
    BillingPeriod,
    EntitlementResetPeriod,
    FeatureType,
    MeterType,
    PaymentCollection,
    PricingType,
    PromotionalEntitlementPeriod,
    PromotionalEntitlementStatus,
    SubscriptionInvoiceStatus,
    SubscriptionStatus,
)


class CustomerFields(BaseModel):
    id: str
    customer_id: str = Field(alias="customerId")
    ref_id: str = Field(alias="refId")
    name: Optional[str]
    email: Optional[str]
    created_at: Optional[str] = Field(alias="createdAt")
    updated_at: str = Field(alias="updatedAt")
    billing_id: Optional[str] = Field(alias="billingId")
    crm_id: Optional[str] = Field(alias="crmId")
    has_payment_method: bool = Field(alias="hasPaymentMethod")
    exclude_from_experiment: Optional[bool] = Field(alias="excludeFromExperiment")
    additional_meta_data: Optional[Any] = Field(alias="additionalMetaData")
    billing_sync_error: Optional[str] = Field(alias="billingSyncError")
    billing_sync_error_code: Optional[str] = Field(alias="billingSyncErrorCode")
    coupon: Optional["CustomerFieldsCoupon"]


class CustomerFieldsCoupon(BaseModel):
    ref_id: str = Field(alias="refId")
    name: str


class EntitlementFields(BaseModel):
    is_granted: bool = Field(alias="isGranted")
    access_denied_reason: Optional[AccessDeniedReason] = Field(
        alias="accessDeniedReason"
    )
    customer_id: Optional[str] = Field(alias="customerId")
    resource_id: Optional[str] = Field(alias="resourceId")
    current_usage: Optional[float] = Field(alias="currentUsage")
    requested_usage: Optional[float] = Field(alias="requestedUsage")
    requested_values: Optional[list[str]] = Field(alias="requestedValues")
    usage_limit: Optional[float] = Field(alias="usageLimit")
    has_unlimited_usage: bool = Field(alias="hasUnlimitedUsage")
    has_soft_limit: Optional[bool] = Field(alias="hasSoftLimit")
    enum_values: Optional[list[str]] = Field(alias="enumValues")
    usage_period_anchor: Optional[str] = Field(alias="usagePeriodAnchor")
    usage_period_start: Optional[str] = Field(alias="usagePeriodStart")
    usage_period_end: Optional[str] = Field(alias="usagePeriodEnd")
    next_reset_date: Optional[str] = Field(alias="nextResetDate")
    reset_period: Optional[EntitlementResetPeriod] = Field(alias="resetPeriod")
    feature: Optional["EntitlementFieldsFeature"]


class EntitlementFieldsFeature(BaseModel):
    id: str
    ref_id: str = Field(alias="refId")
    display_name: str = Field(alias="displayName")
    description: Optional[str]
    feature_type: FeatureType = Field(alias="featureType")
    meter_type: Optional[MeterType] = Field(alias="meterType")
    feature_units: Optional[str] = Field(alias="featureUnits")
    feature_units_plural: Optional[str] = Field(alias="featureUnitsPlural")
    additional_meta_data: Optional[Any] = Field(alias="additionalMetaData")


class MoneyFields(BaseModel):
    amount: float
    currency: str


class PreviewFields(BaseModel):
    sub_total: "PreviewFieldsSubTotal" = Field(alias="subTotal")
    total: "PreviewFieldsTotal"
    total_excluding_tax: "PreviewFieldsTotalExcludingTax" = Field(
        alias="totalExcludingTax"
    )
    discount_amount: Optional["PreviewFieldsDiscountAmount"] = Field(
        alias="discountAmount"
    )
    tax: Optional["PreviewFieldsTax"]
    billing_period_range: "PreviewFieldsBillingPeriodRange" = Field(
        alias="billingPeriodRange"
    )
    proration: Optional["PreviewFieldsProration"]
    lines: list["PreviewFieldsLines"]


class PreviewFieldsSubTotal(MoneyFields):
    pass


class PreviewFieldsTotal(MoneyFields):
    pass


class PreviewFieldsTotalExcludingTax(MoneyFields):
    pass


class PreviewFieldsDiscountAmount(MoneyFields):
    pass


class PreviewFieldsTax(MoneyFields):
    pass


class PreviewFieldsBillingPeriodRange(BaseModel):
    start: Optional[str]
    end: Optional[str]


class PreviewFieldsProration(BaseModel):
    proration_date: str = Field(alias="prorationDate")
    credit: "PreviewFieldsProrationCredit"
    debit: "PreviewFieldsProrationDebit"
    net_amount: "PreviewFieldsProrationNetAmount" = Field(alias="netAmount")
    has_prorations: Optional[bool] = Field(alias="hasProrations")


class PreviewFieldsProrationCredit(MoneyFields):
    pass


class PreviewFieldsProrationDebit(MoneyFields):
    pass


class PreviewFieldsProrationNetAmount(MoneyFields):
    pass


class PreviewFieldsLines(BaseModel):
    price_id: str = Field(alias="priceId")
    quantity: int
    unit_amount: "PreviewFieldsLinesUnitAmount" = Field(alias="unitAmount")
    amount: "PreviewFieldsLinesAmount"


class PreviewFieldsLinesUnitAmount(MoneyFields):
    pass


class PreviewFieldsLinesAmount(MoneyFields):
    pass


class PromotionalEntitlementFields(BaseModel):
    id: str
    feature_id: str = Field(alias="featureId")
    status: PromotionalEntitlementStatus
    usage_limit: Optional[float] = Field(alias="usageLimit")
    has_unlimited_usage: Optional[bool] = Field(alias="hasUnlimitedUsage")
    has_soft_limit: Optional[bool] = Field(alias="hasSoftLimit")
    enum_values: Optional[list[str]] = Field(alias="enumValues")
    reset_period: Optional[EntitlementResetPeriod] = Field(alias="resetPeriod")
    period: PromotionalEntitlementPeriod
    start_date: str = Field(alias="startDate")
    end_date: Optional[str] = Field(alias="endDate")
    is_visible: bool = Field(alias="isVisible")
    description: Optional[str]


class SlimSubscriptionFields(BaseModel):
    id: str
    subscription_id: str = Field(alias="subscriptionId")
    ref_id: str = Field(alias="refId")
    status: SubscriptionStatus
    pricing_type: PricingType = Field(alias="pricingType")
    start_date: str = Field(alias="startDate")
    end_date: Optional[str] = Field(alias="endDate")
    trial_end_date: Optional[str] = Field(alias="trialEndDate")
    current_billing_period_start: Optional[str] = Field(
        alias="currentBillingPeriodStart"
    )
    current_billing_period_end: Optional[str] = Field(alias="currentBillingPeriodEnd")
    billing_period: Optional[BillingPeriod] = Field(alias="billingPeriod")
    customer_id: Optional[str] = Field(alias="customerId")
    resource_id: Optional[str] = Field(alias="resourceId")
    plan: "SlimSubscriptionFieldsPlan"
    addons: Optional[list["SlimSubscriptionFieldsAddons"]]


class SlimSubscriptionFieldsPlan(BaseModel):
    id: str
    ref_id: str = Field(alias="refId")
    display_name: str = Field(alias="displayName")
    version_number: int = Field(alias="versionNumber")


class SlimSubscriptionFieldsAddons(BaseModel):
    quantity: int
    addon: "SlimSubscriptionFieldsAddonsAddon"


class SlimSubscriptionFieldsAddonsAddon(BaseModel):
    id: str
    ref_id: str = Field(alias="refId")
    display_name: str = Field(alias="displayName")


class SubscriptionFields(SlimSubscriptionFields):
    cancellation_date: Optional[str] = Field(alias="cancellationDate")
    effective_end_date: Optional[str] = Field(alias="effectiveEndDate")
    was_in_trial: Optional[bool] = Field(alias="wasInTrial")
    created_at: Optional[str] = Field(alias="createdAt")
    additional_meta_data: Optional[Any] = Field(alias="additionalMetaData")
    billing_id: Optional[str] = Field(alias="billingId")
    billing_sync_error: Optional[str] = Field(alias="billingSyncError")
    billing_sync_error_code: Optional[str] = Field(alias="billingSyncErrorCode")
    checkout_url: Optional[str] = Field(alias="checkoutUrl")
    checkout_billing_id: Optional[str] = Field(alias="checkoutBillingId")
    payment_collection: PaymentCollection = Field(alias="paymentCollection")
    prices: Optional[list["SubscriptionFieldsPrices"]]
    total_price: Optional["SubscriptionFieldsTotalPrice"] = Field(alias="totalPrice")
    latest_invoice: Optional["SubscriptionFieldsLatestInvoice"] = Field(
        alias="latestInvoice"
    )


class SubscriptionFieldsPrices(BaseModel):
    billing_model: BillingModel = Field(alias="billingModel")
    feature_id: Optional[str] = Field(alias="featureId")
    usage_limit: Optional[float] = Field(alias="usageLimit")
    price: "SubscriptionFieldsPricesPrice"


class SubscriptionFieldsPricesPrice(BaseModel):
    id: str
    billing_model: BillingModel = Field(alias="billingModel")
    billing_period: BillingPeriod = Field(alias="billingPeriod")
    billing_country_code: Optional[str] = Field(alias="billingCountryCode")
    price: Optional["SubscriptionFieldsPricesPricePrice"]
    feature: Optional["SubscriptionFieldsPricesPriceFeature"]


class SubscriptionFieldsPricesPricePrice(MoneyFields):
    pass


class SubscriptionFieldsPricesPriceFeature(BaseModel):
    ref_id: str = Field(alias="refId")
    display_name: str = Field(alias="displayName")
    feature_type: FeatureType = Field(alias="featureType")
    meter_type: Optional[MeterType] = Field(alias="meterType")
    feature_units: Optional[str] = Field(alias="featureUnits")
    feature_units_plural: Optional[str] = Field(alias="featureUnitsPlural")


class SubscriptionFieldsTotalPrice(BaseModel):
    sub_total: "SubscriptionFieldsTotalPriceSubTotal" = Field(alias="subTotal")
    total: "SubscriptionFieldsTotalPriceTotal"
    addons_total: "SubscriptionFieldsTotalPriceAddonsTotal" = Field(alias="addonsTotal")


class SubscriptionFieldsTotalPriceSubTotal(MoneyFields):
    pass


class SubscriptionFieldsTotalPriceTotal(MoneyFields):
    pass


class SubscriptionFieldsTotalPriceAddonsTotal(MoneyFields):
    pass


class SubscriptionFieldsLatestInvoice(BaseModel):
    billing_id: str = Field(alias="billingId")
    status: SubscriptionInvoiceStatus
    created_at: str = Field(alias="createdAt")
    updated_at: str = Field(alias="updatedAt")
    requires_action: bool = Field(alias="requiresAction")
    payment_url: Optional[str] = Field(alias="paymentUrl")
    payment_secret: Optional[str] = Field(alias="paymentSecret")
    error_message: Optional[str] = Field(alias="errorMessage")
    amount_due: Optional[float] = Field(alias="amountDue")
    total: Optional[float]
    currency: Optional[str]


CustomerFields.model_rebuild()
EntitlementFields.model_rebuild()
MoneyFields.model_rebuild()
PreviewFields.model_rebuild()
PromotionalEntitlementFields.model_rebuild()
SlimSubscriptionFields.model_rebuild()
SubscriptionFields.model_rebuild()
