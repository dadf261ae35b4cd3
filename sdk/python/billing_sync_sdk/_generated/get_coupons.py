from typing import Any, Optional

from pydantic import Field

from .base_model import BaseModel
from .enums import CouponStatus, CouponType
from .fragments import MoneyFields


class GetCoupons(BaseModel):
    coupons: "GetCouponsCoupons"


class GetCouponsCoupons(BaseModel):
    total_count: int = Field(alias="totalCount")
    page_info: "GetCouponsCouponsPageInfo" = Field(alias="pageInfo")
    edges: list["GetCouponsCouponsEdges"]


class GetCouponsCouponsPageInfo(BaseModel):
    has_next_page: Optional[bool] = Field(alias="hasNextPage")
    end_cursor: Optional[str] = Field(alias="endCursor")


class GetCouponsCouponsEdges(BaseModel):
    node: "GetCouponsCouponsEdgesNode"


class GetCouponsCouponsEdgesNode(BaseModel):
    id: str
    ref_id: str = Field(alias="refId")
    name: str
    description: Optional[str]
    type_: CouponType = Field(alias="type")
    discount_value: float = Field(alias="discountValue")
    percent_off: Optional[float] = Field(alias="percentOff")
    amounts_off: Optional[list["GetCouponsCouponsEdgesNodeAmountsOff"]] = Field(
        alias="amountsOff"
    )
    duration_in_months: Optional[int] = Field(alias="durationInMonths")
    status: CouponStatus
    additional_meta_data: Optional[Any] = Field(alias="additionalMetaData")
    billing_id: Optional[str] = Field(alias="billingId")
    created_at: str = Field(alias="createdAt")
    updated_at: str = Field(alias="updatedAt")


GetCouponsCouponsEdgesNodeAmountsOff = MoneyFields
GetCoupons.model_rebuild()
GetCouponsCoupons.model_rebuild()
GetCouponsCouponsEdges.model_rebuild()
GetCouponsCouponsEdgesNode.model_rebuild()
