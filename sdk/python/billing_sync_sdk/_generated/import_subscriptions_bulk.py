from pydantic import Field

from .base_model import BaseModel


class ImportSubscriptionsBulk(BaseModel):
    import_subscriptions_bulk: str = Field(alias="importSubscriptionsBulk")
