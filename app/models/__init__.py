"""SQLModel tables. Importing this package registers every table on ``SQLModel.metadata``."""

from app.models.catalog import (
    Coupon,
    Feature,
    Package,
    PackageEntitlement,
    PackagePrice,
    Product,
    PromotionCode,
    TaxRate,
)
from app.models.customers import Customer
from app.models.entitlements import (
    FeatureUsage,
    MeterUniqueValue,
    MeterUsage,
    PromotionalEntitlement,
    SubscriptionEntitlement,
    UsageEvent,
    UsageMeasurement,
)
from app.models.environments import ApiKey, Environment
from app.models.imports import ImportChunk, ImportTask
from app.models.outbox import OutboxMessage
from app.models.subscriptions import (
    Subscription,
    SubscriptionAddon,
    SubscriptionFeatureQuantity,
    SubscriptionTaxRate,
)
from app.models.webhooks import WebhookEvent

__all__ = [
    "ApiKey",
    "Coupon",
    "Customer",
    "Environment",
    "Feature",
    "FeatureUsage",
    "ImportChunk",
    "ImportTask",
    "MeterUniqueValue",
    "MeterUsage",
    "OutboxMessage",
    "Package",
    "PackageEntitlement",
    "PackagePrice",
    "Product",
    "PromotionCode",
    "PromotionalEntitlement",
    "Subscription",
    "SubscriptionAddon",
    "SubscriptionEntitlement",
    "SubscriptionFeatureQuantity",
    "SubscriptionTaxRate",
    "TaxRate",
    "UsageEvent",
    "UsageMeasurement",
    "WebhookEvent",
]
