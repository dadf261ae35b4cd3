from .base_model import BaseModel
from .fragments import EntitlementFields


class GetEntitlement(BaseModel):
    entitlement: "GetEntitlementEntitlement"


GetEntitlementEntitlement = EntitlementFields
GetEntitlement.model_rebuild()
