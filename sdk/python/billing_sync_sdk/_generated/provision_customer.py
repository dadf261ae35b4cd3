from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .enums import SubscriptionDecisionStrategy
from .fragments import CustomerFields, SlimSubscriptionFields


class ProvisionCustomer(BaseModel):
    provision_customer: "ProvisionCustomerProvisionCustomer" = Field(
        alias="provisionCustomer"
    )


class ProvisionCustomerProvisionCustomer(BaseModel):
    customer: "ProvisionCustomerProvisionCustomerCustomer"
    subscription_decision_strategy: SubscriptionDecisionStrategy = Field(
        alias="subscriptionDecisionStrategy"
    )
    subscription: Optional["ProvisionCustomerProvisionCustomerSubscription"]


ProvisionCustomerProvisionCustomerCustomer = CustomerFields
ProvisionCustomerProvisionCustomerSubscription = SlimSubscriptionFields
ProvisionCustomer.model_rebuild()
ProvisionCustomerProvisionCustomer.model_rebuild()
