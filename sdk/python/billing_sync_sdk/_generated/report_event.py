from typing import Optional

from pydantic import Field

from .base_model import BaseModel


class ReportEvent(BaseModel):
    report_event: Optional[str] = Field(alias="reportEvent")
