from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .enums import ProvisionSubscriptionStatus
from .fragments import SubscriptionFields


class ProvisionSubscription(BaseModel):
    provision_subscription: "ProvisionSubscriptionProvisionSubscription" = Field(
        alias="provisionSubscription"
    )


class ProvisionSubscriptionProvisionSubscription(BaseModel):
    id: str
    status: ProvisionSubscriptionStatus
    checkout_url: Optional[str] = Field(alias="checkoutUrl")
    checkout_billing_id: Optional[str] = Field(alias="checkoutBillingId")
    subscription: Optional["ProvisionSubscriptionProvisionSubscriptionSubscription"]


ProvisionSubscriptionProvisionSubscriptionSubscription = SubscriptionFields
ProvisionSubscription.model_rebuild()
ProvisionSubscriptionProvisionSubscription.model_rebuild()
