from pydantic import Field

from .base_model import BaseModel
from .fragments import SubscriptionFields


class UpdateSubscription(BaseModel):
    update_subscription: "UpdateSubscriptionUpdateSubscription" = Field(
        alias="updateSubscription"
    )


UpdateSubscriptionUpdateSubscription = SubscriptionFields
UpdateSubscription.model_rebuild()
