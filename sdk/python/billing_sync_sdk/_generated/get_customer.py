from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .fragments import (
    CustomerFields,
    CustomerFieldsCoupon,  # noqa: F401
    PromotionalEntitlementFields,
)


class GetCustomer(BaseModel):
    get_customer: "GetCustomerGetCustomer" = Field(alias="getCustomer")


class GetCustomerGetCustomer(CustomerFields):
    promotional_entitlements: Optional[
        list["GetCustomerGetCustomerPromotionalEntitlements"]
    ] = Field(alias="promotionalEntitlements")


GetCustomerGetCustomerPromotionalEntitlements = PromotionalEntitlementFields
GetCustomer.model_rebuild()
GetCustomerGetCustomer.model_rebuild()
