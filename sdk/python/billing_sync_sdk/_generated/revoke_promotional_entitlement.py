from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .fragments import PromotionalEntitlementFields


class RevokePromotionalEntitlement(BaseModel):
    revoke_promotional_entitlement: Optional[
        "RevokePromotionalEntitlementRevokePromotionalEntitlement"
    ] = Field(alias="revokePromotionalEntitlement")


RevokePromotionalEntitlementRevokePromotionalEntitlement = PromotionalEntitlementFields
RevokePromotionalEntitlement.model_rebuild()
