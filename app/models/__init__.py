"""SQLModel tables. Importing this package registers every table on ``SQLModel.metadata``."""

from app.models.catalog import (
    Coupon,
    Feature,
    Package,
    PackageEntitlement,
    PackagePrice,
    Product,
    PromotionCode,
)
from app.models.customers import Customer
from app.models.environments import ApiKey, Environment

__all__ = [
    "ApiKey",
    "Coupon",
    "Customer",
    "Environment",
    "Feature",
    "Package",
    "PackageEntitlement",
    "PackagePrice",
    "Product",
    "PromotionCode",
]
