from pydantic import Field

from .base_model import BaseModel
from .fragments import PreviewFields


class EstimateSubscriptionUpdate(BaseModel):
    estimate_subscription_update: "EstimateSubscriptionUpdateEstimateSubscriptionUpdate" = Field(
        alias="estimateSubscriptionUpdate"
    )


EstimateSubscriptionUpdateEstimateSubscriptionUpdate = PreviewFields
EstimateSubscriptionUpdate.model_rebuild()
