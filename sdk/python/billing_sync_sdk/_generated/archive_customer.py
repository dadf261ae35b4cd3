from pydantic import Field

from .base_model import BaseModel
from .fragments import CustomerFields


class ArchiveCustomer(BaseModel):
    archive_customer: "ArchiveCustomerArchiveCustomer" = Field(alias="archiveCustomer")


ArchiveCustomerArchiveCustomer = CustomerFields
ArchiveCustomer.model_rebuild()
