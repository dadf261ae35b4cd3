from pydantic import Field

from .base_model import BaseModel
from .fragments import CustomerFields


class UnarchiveCustomer(BaseModel):
    unarchive_customer: "UnarchiveCustomerUnarchiveCustomer" = Field(
        alias="unarchiveCustomer"
    )


UnarchiveCustomerUnarchiveCustomer = CustomerFields
UnarchiveCustomer.model_rebuild()
