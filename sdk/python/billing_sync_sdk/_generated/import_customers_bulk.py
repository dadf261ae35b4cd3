from pydantic import Field

from .base_model import BaseModel


class ImportCustomersBulk(BaseModel):
    import_customers_bulk: str = Field(alias="importCustomersBulk")
