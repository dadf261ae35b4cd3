from pydantic import Field

from .base_model import BaseModel
from .fragments import PromotionalEntitlementFields


class GrantPromotionalEntitlements(BaseModel):
    grant_promotional_entitlements: list[
        "GrantPromotionalEntitlementsGrantPromotionalEntitlements"
    ] = Field(alias="grantPromotionalEntitlements")


GrantPromotionalEntitlementsGrantPromotionalEntitlements = PromotionalEntitlementFields
GrantPromotionalEntitlements.model_rebuild()
