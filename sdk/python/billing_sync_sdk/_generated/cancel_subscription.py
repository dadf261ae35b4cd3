from pydantic import Field

from .base_model import BaseModel
from .fragments import SubscriptionFields


class CancelSubscription(BaseModel):
    cancel_subscription: "CancelSubscriptionCancelSubscription" = Field(
        alias="cancelSubscription"
    )


CancelSubscriptionCancelSubscription = SubscriptionFields
CancelSubscription.model_rebuild()
