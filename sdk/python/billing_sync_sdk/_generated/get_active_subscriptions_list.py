from pydantic import Field

from .base_model import BaseModel
from .fragments import SlimSubscriptionFields


class GetActiveSubscriptionsList(BaseModel):
    get_active_subscriptions: list[
        "GetActiveSubscriptionsListGetActiveSubscriptions"
    ] = Field(alias="getActiveSubscriptions")


GetActiveSubscriptionsListGetActiveSubscriptions = SlimSubscriptionFields
GetActiveSubscriptionsList.model_rebuild()
