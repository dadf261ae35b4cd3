from pydantic import Field

from .base_model import BaseModel
from .fragments import SubscriptionFields


class GetSubscription(BaseModel):
    get_subscription: "GetSubscriptionGetSubscription" = Field(alias="getSubscription")


GetSubscriptionGetSubscription = SubscriptionFields
GetSubscription.model_rebuild()
