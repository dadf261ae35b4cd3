from pydantic import Field

from .base_model import BaseModel
from .fragments import PreviewFields


class EstimateSubscription(BaseModel):
    estimate_subscription: "EstimateSubscriptionEstimateSubscription" = Field(
        alias="estimateSubscription"
    )


EstimateSubscriptionEstimateSubscription = PreviewFields
EstimateSubscription.model_rebuild()
