from enum import Enum


class AccessDeniedReason(str, Enum):
    BudgetExceeded = "BudgetExceeded"
    CustomerIsArchived = "CustomerIsArchived"
    CustomerNotFound = "CustomerNotFound"
    CustomerResourceNotFound = "CustomerResourceNotFound"
    EntitlementNotFound = "EntitlementNotFound"
    FeatureNotFound = "FeatureNotFound"
    FeatureTypeMismatch = "FeatureTypeMismatch"
    InsufficientCredits = "InsufficientCredits"
    NoActiveSubscription = "NoActiveSubscription"
    NoFeatureEntitlementInSubscription = "NoFeatureEntitlementInSubscription"
    RequestedUsageExceedingLimit = "RequestedUsageExceedingLimit"
    RequestedValuesMismatch = "RequestedValuesMismatch"
    Revoked = "Revoked"
    Unknown = "Unknown"


class BillingModel(str, Enum):
    FLAT_FEE = "FLAT_FEE"
    PER_UNIT = "PER_UNIT"


class BillingPeriod(str, Enum):
    MONTHLY = "MONTHLY"
    ANNUALLY = "ANNUALLY"


class CouponSortFields(str, Enum):
    id = "id"
    refId = "refId"
    name = "name"
    type_ = "type"
    status = "status"
    createdAt = "createdAt"
    updatedAt = "updatedAt"


class CouponStatus(str, Enum):
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"


class CouponType(str, Enum):
    PERCENTAGE = "PERCENTAGE"
    FIXED = "FIXED"


class EntitlementResetPeriod(str, Enum):
    HOUR = "HOUR"
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    YEAR = "YEAR"


class FeatureType(str, Enum):
    BOOLEAN = "BOOLEAN"
    NUMBER = "NUMBER"
    ENUM = "ENUM"


class ImportRowOutcome(str, Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    UNCHANGED = "UNCHANGED"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"


class ImportStatus(str, Enum):
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"


class MeterType(str, Enum):
    None_ = "None"
    Fluctuating = "Fluctuating"
    Incremental = "Incremental"


class MonthlyAccordingTo(str, Enum):
    SubscriptionStart = "SubscriptionStart"
    StartOfTheMonth = "StartOfTheMonth"


class PaymentCollection(str, Enum):
    NOT_REQUIRED = "NOT_REQUIRED"
    PROCESSING = "PROCESSING"
    ACTION_REQUIRED = "ACTION_REQUIRED"
    FAILED = "FAILED"


class PricingType(str, Enum):
    FREE = "FREE"
    PAID = "PAID"
    CUSTOM = "CUSTOM"


class PromotionalEntitlementPeriod(str, Enum):
    ONE_WEEK = "ONE_WEEK"
    ONE_MONTH = "ONE_MONTH"
    SIX_MONTH = "SIX_MONTH"
    ONE_YEAR = "ONE_YEAR"
    LIFETIME = "LIFETIME"
    CUSTOM = "CUSTOM"


class PromotionalEntitlementStatus(str, Enum):
    Active = "Active"
    Expired = "Expired"
    Paused = "Paused"


class ProvisionSubscriptionStatus(str, Enum):
    SUCCESS = "SUCCESS"
    PAYMENT_REQUIRED = "PAYMENT_REQUIRED"


class SortDirection(str, Enum):
    ASC = "ASC"
    DESC = "DESC"


class SubscriptionCancellationTime(str, Enum):
    IMMEDIATE = "IMMEDIATE"
    END_OF_BILLING_PERIOD = "END_OF_BILLING_PERIOD"
    SPECIFIC_DATE = "SPECIFIC_DATE"


class SubscriptionDecisionStrategy(str, Enum):
    REQUESTED_PLAN = "REQUESTED_PLAN"
    PREDEFINED_FREE_PLAN = "PREDEFINED_FREE_PLAN"
    PREDEFINED_TRIAL_PLAN = "PREDEFINED_TRIAL_PLAN"
    SKIPPED_SUBSCRIPTION_CREATION = "SKIPPED_SUBSCRIPTION_CREATION"


class SubscriptionInvoiceStatus(str, Enum):
    CANCELED = "CANCELED"
    OPEN = "OPEN"
    PAID = "PAID"


class SubscriptionMigrationTime(str, Enum):
    IMMEDIATE = "IMMEDIATE"
    END_OF_BILLING_PERIOD = "END_OF_BILLING_PERIOD"


class SubscriptionStatus(str, Enum):
    ACTIVE = "ACTIVE"
    CANCELED = "CANCELED"
    EXPIRED = "EXPIRED"
    IN_TRIAL = "IN_TRIAL"
    NOT_STARTED = "NOT_STARTED"
    PAYMENT_PENDING = "PAYMENT_PENDING"


class TrialEndBehavior(str, Enum):
    CONVERT_TO_PAID = "CONVERT_TO_PAID"
    CANCEL_SUBSCRIPTION = "CANCEL_SUBSCRIPTION"


class UsageUpdateBehavior(str, Enum):
    DELTA = "DELTA"
    SET = "SET"


class WeeklyAccordingTo(str, Enum):
    SubscriptionStart = "SubscriptionStart"
    EveryMonday = "EveryMonday"
    EveryTuesday = "EveryTuesday"
    EveryWednesday = "EveryWednesday"
    EveryThursday = "EveryThursday"
    EveryFriday = "EveryFriday"
    EverySaturday = "EverySaturday"
    EverySunday = "EverySunday"


class YearlyAccordingTo(str, Enum):
    SubscriptionStart = "SubscriptionStart"
