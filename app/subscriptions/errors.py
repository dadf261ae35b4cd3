"""Errors of the subscriptions domain, each with the code clients see."""

from __future__ import annotations

from app.errors import AppError, Conflict, NotFound


class PlanNotFound(NotFound):
    code = "PLAN_NOT_FOUND"


class AddonNotFound(NotFound):
    code = "ADDON_NOT_FOUND"


class FeatureNotFound(NotFound):
    code = "FEATURE_NOT_FOUND"


class SubscriptionNotFound(NotFound):
    code = "SUBSCRIPTION_NOT_FOUND"


class AddonNotCompatible(AppError):
    code = "ADDON_NOT_COMPATIBLE_WITH_PLAN"


class InvalidQuantity(AppError):
    code = "INVALID_QUANTITY"


class TooManySubscriptionItems(AppError):
    """More priced items than Stripe takes on one subscription (or checkout)."""

    code = "TOO_MANY_SUBSCRIPTION_ITEMS"


class BillableFeatureRequired(AppError):
    code = "BILLABLE_FEATURE_REQUIRED"


class BillingPeriodRequired(AppError):
    code = "BILLING_PERIOD_REQUIRED"


class BillingPeriodNotPriced(AppError):
    code = "BILLING_PERIOD_NOT_PRICED"


class InvalidPromotionCode(AppError):
    code = "PROMOTION_CODE_INVALID"


class CouponNotApplicable(AppError):
    code = "COUPON_NOT_APPLICABLE"


class MultipleSubscriptionsNotAllowed(AppError):
    code = "MULTIPLE_SUBSCRIPTIONS_NOT_ALLOWED"


class InvalidDate(AppError):
    code = "INVALID_DATE"


class SubscriptionEnded(Conflict):
    code = "SUBSCRIPTION_ENDED"


class MigrationNotPossible(AppError):
    code = "MIGRATION_NOT_POSSIBLE"


class TaxRateNotFound(NotFound):
    code = "TAX_RATE_NOT_FOUND"


class SubscriptionRefIdTaken(Conflict):
    """A provision names a refId another subscription of the environment holds."""

    code = "SUBSCRIPTION_REF_ID_TAKEN"
