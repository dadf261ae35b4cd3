from .base_model import BaseModel
from .fragments import EntitlementFields


class GetEntitlements(BaseModel):
    entitlements: list["GetEntitlementsEntitlements"]


GetEntitlementsEntitlements = EntitlementFields
GetEntitlements.model_rebuild()
