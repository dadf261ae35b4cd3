"""Validated subscription requests, with the platform's input names."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.billing import limits
from app.customers.schemas import check_country, check_customer_id
from app.models.catalog import BillingPeriod, TrialEndBehavior
from app.subscriptions.billing_info import SubscriptionBillingInformation
from app.subscriptions.entitlement_overrides import (
    SubscriptionEntitlementRequest,
    UpdateSubscriptionEntitlementRequest,
)
from app.validation import check_moment

# Per-subscription entitlement values a request may carry (one per feature).
MAX_ENTITLEMENT_VALUES = 200


class CancellationTime(StrEnum):
    IMMEDIATE = "IMMEDIATE"
    END_OF_BILLING_PERIOD = "END_OF_BILLING_PERIOD"
    SPECIFIC_DATE = "SPECIFIC_DATE"


class MigrationTime(StrEnum):
    IMMEDIATE = "IMMEDIATE"
    END_OF_BILLING_PERIOD = "END_OF_BILLING_PERIOD"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


_aware = check_moment


def _whole(value: Decimal | None) -> Decimal | None:
    if value is not None and value != value.to_integral_value():
        raise ValueError("must be a whole number")
    return value


class AddonRequest(_Strict):
    addonId: str = Field(min_length=1)
    quantity: int = 1


class BillableFeatureRequest(_Strict):
    featureId: str = Field(min_length=1)
    quantity: Decimal

    _quantity = field_validator("quantity")(_whole)


class TrialOverride(_Strict):
    isTrial: bool
    trialEndBehavior: TrialEndBehavior | None = None
    trialEndDate: datetime | None = None

    _end = field_validator("trialEndDate")(check_moment)


class AppliedCoupon(_Strict):
    couponId: str | None = None
    promotionCode: str | None = None
    billingCouponId: str | None = None


def _url(value: str) -> str:
    problem = limits.url_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


class CheckoutOptions(_Strict):
    """How the Stripe Checkout of a paid subscription without a card is set up.

    Checked here because the session is created by a job after the API has answered:
    Stripe refuses a URL that is not absolute http(s) and a client reference over 200
    characters.
    """

    successUrl: str
    cancelUrl: str
    allowPromoCodes: bool | None = None
    allowTaxIdCollection: bool | None = None
    collectBillingAddress: bool | None = None
    collectPhoneNumber: bool | None = None
    referenceId: str | None = Field(default=None, max_length=limits.CHECKOUT_CLIENT_REFERENCE_ID)

    _urls = field_validator("successUrl", "cancelUrl")(_url)

    def job_options(self) -> dict[str, Any]:
        """The options as the checkout job takes them: the fields that were given."""
        return self.model_dump(exclude_none=True)


class SubscriptionItems(_Strict):
    """What is bought: shared by provision, update and estimates."""

    billingPeriod: BillingPeriod | None = None
    unitQuantity: Decimal | None = None
    billableFeatures: list[BillableFeatureRequest] | None = None
    addons: list[AddonRequest] | None = None

    _unit_quantity = field_validator("unitQuantity")(_whole)


class ProvisionRequest(SubscriptionItems):
    customerId: str
    planId: str = Field(min_length=1)
    resourceId: str | None = Field(default=None, min_length=1, max_length=255)
    startDate: datetime | None = None
    billingCountryCode: str | None = None
    promotionCode: str | None = None
    appliedCoupon: AppliedCoupon | None = None
    skipTrial: bool = False
    trialOverrideConfiguration: TrialOverride | None = None
    additionalMetaData: dict[str, Any] | None = None
    # Used once billing is integrated; checked and kept out of the way until then.
    checkoutOptions: CheckoutOptions | None = None
    awaitPaymentConfirmation: bool | None = None
    # Tagged on the Stripe subscription as metadata (values up to 500 characters).
    refId: str | None = Field(default=None, max_length=255)
    billingInformation: SubscriptionBillingInformation | None = None
    subscriptionEntitlements: list[SubscriptionEntitlementRequest] | None = Field(
        default=None, max_length=MAX_ENTITLEMENT_VALUES
    )

    _start = field_validator("startDate")(check_moment)

    @field_validator("customerId")
    @classmethod
    def _customer(cls, value: str) -> str:
        return check_customer_id(value)

    @field_validator("billingCountryCode")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return None if value is None else check_country(value)


class UpdateRequest(SubscriptionItems):
    subscriptionId: str = Field(min_length=1)
    additionalMetaData: dict[str, Any] | None = None
    promotionCode: str | None = None
    billingInformation: SubscriptionBillingInformation | None = None
    subscriptionEntitlements: list[UpdateSubscriptionEntitlementRequest] | None = Field(
        default=None, max_length=MAX_ENTITLEMENT_VALUES
    )


class CancelRequest(_Strict):
    subscriptionRefId: str = Field(min_length=1)
    subscriptionCancellationTime: CancellationTime = CancellationTime.IMMEDIATE
    endDate: datetime | None = None

    _end = field_validator("endDate")(check_moment)


class MigrateRequest(_Strict):
    subscriptionId: str = Field(min_length=1)
    subscriptionMigrationTime: MigrationTime = MigrationTime.IMMEDIATE
