from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .fragments import EntitlementFields


class EntitlementsUpdated(BaseModel):
    entitlements_updated: "EntitlementsUpdatedEntitlementsUpdated" = Field(
        alias="entitlementsUpdated"
    )


class EntitlementsUpdatedEntitlementsUpdated(BaseModel):
    customer_id: str = Field(alias="customerId")
    resource_id: Optional[str] = Field(alias="resourceId")
    entitlements: list["EntitlementsUpdatedEntitlementsUpdatedEntitlements"]


EntitlementsUpdatedEntitlementsUpdatedEntitlements = EntitlementFields
EntitlementsUpdated.model_rebuild()
EntitlementsUpdatedEntitlementsUpdated.model_rebuild()
