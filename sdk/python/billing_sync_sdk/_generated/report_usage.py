from typing import Optional

from pydantic import Field

from .base_model import BaseModel


class ReportUsage(BaseModel):
    report_usage: "ReportUsageReportUsage" = Field(alias="reportUsage")


class ReportUsageReportUsage(BaseModel):
    id: str
    customer_id: str = Field(alias="customerId")
    feature_id: str = Field(alias="featureId")
    resource_id: Optional[str] = Field(alias="resourceId")
    value: float
    current_usage: Optional[float] = Field(alias="currentUsage")
    usage_period_start: Optional[str] = Field(alias="usagePeriodStart")
    usage_period_end: Optional[str] = Field(alias="usagePeriodEnd")
    next_reset_date: Optional[str] = Field(alias="nextResetDate")
    timestamp: str
    created_at: str = Field(alias="createdAt")


ReportUsage.model_rebuild()
