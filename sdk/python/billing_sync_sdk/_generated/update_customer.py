from pydantic import Field

from .base_model import BaseModel
from .fragments import CustomerFields


class UpdateCustomer(BaseModel):
    update_customer: "UpdateCustomerUpdateCustomer" = Field(alias="updateCustomer")


UpdateCustomerUpdateCustomer = CustomerFields
UpdateCustomer.model_rebuild()
