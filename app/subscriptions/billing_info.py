"""A subscription's ``billingInformation``: what Stripe needs to bill it.

Only references to the catalog are kept, as rows: the tax rates
(``subscription_tax_rate``) and the coupon (``subscription.coupon_id``). The address and
the customer's tax ids are the customer's billing information: they are forwarded to
the Stripe customer, sealed in its sync job, and never stored. The platform's other
fields have no counterpart here and are refused by name (``NOT_SUPPORTED``), so nothing
is accepted and then silently dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlmodel import Session, select

from app.catalog import repository as catalog
from app.customers.schemas import BillingAddress, BillingInformation, TaxId, check_country
from app.errors import NotSupported
from app.models import Coupon, Subscription, SubscriptionTaxRate, TaxRate
from app.subscriptions.errors import InvalidPromotionCode, TaxRateNotFound

FIELD = "input.billingInformation"
# Stripe takes at most ten tax rates per line.
MAX_TAX_RATES = 10


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SubscriptionBillingAddress(_Strict):
    """The platform's subscription address (``line1``), not the customer's (``addressLine1``)."""

    country: str | None = None
    city: str | None = Field(default=None, max_length=200)
    state: str | None = Field(default=None, max_length=200)
    line1: str | None = Field(default=None, max_length=500)
    line2: str | None = Field(default=None, max_length=500)
    postalCode: str | None = Field(default=None, max_length=40)

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return None if value is None else check_country(value)


class SubscriptionBillingInformation(_Strict):
    taxRateIds: list[str] | None = Field(default=None, max_length=MAX_TAX_RATES)
    couponId: str | None = Field(default=None, min_length=1, max_length=255)
    billingAddress: SubscriptionBillingAddress | None = None
    taxIds: list[TaxId] | None = Field(default=None, max_length=20)
    # The platform's fields that have no effect here; any value is refused by name.
    chargeOnBehalfOfAccount: Any = None
    integrationId: Any = None
    invoiceDaysUntilDue: Any = None
    isBackdated: Any = None
    isInvoicePaid: Any = None
    metadata: Any = None
    taxPercentage: Any = None


_UNSUPPORTED = (
    "chargeOnBehalfOfAccount",
    "integrationId",
    "invoiceDaysUntilDue",
    "isBackdated",
    "isInvoicePaid",
    "metadata",
    "taxPercentage",
)


def refuse_unsupported(info: SubscriptionBillingInformation | None) -> None:
    if info is None:
        return
    for name in _UNSUPPORTED:
        if getattr(info, name) is not None:
            raise NotSupported(
                f"{FIELD}.{name} is not supported by this service; leave it out",
                field=f"{FIELD}.{name}",
            )


def tax_rates(
    session: Session, environment_id: str, ref_ids: Sequence[str], field: str
) -> list[TaxRate]:
    """The catalog's active tax rates named by ``ref_ids``, in that order, each once."""
    wanted = list(dict.fromkeys(ref_ids))
    if not wanted:
        return []
    found = catalog.tax_rates_by_ref(session, environment_id, wanted)
    missing = [ref for ref in wanted if ref not in found]
    if missing:
        raise TaxRateNotFound(f"{field}: unknown tax rate(s) {', '.join(missing)}", field=field)
    return [found[ref] for ref in wanted]


def coupon(session: Session, environment_id: str, ref_id: str) -> Coupon:
    row = catalog.coupon_by_ref(session, environment_id, ref_id)
    if row is None:
        raise InvalidPromotionCode(f"coupon {ref_id!r} is not active", field=f"{FIELD}.couponId")
    return row


def set_tax_rates(session: Session, subscription: Subscription, rates: Sequence[TaxRate]) -> bool:
    """Make ``rates`` the subscription's tax rates; whether that changed anything."""
    current = list(
        session.exec(
            select(SubscriptionTaxRate)
            .where(SubscriptionTaxRate.subscription_id == subscription.id)
            .order_by(SubscriptionTaxRate.position)  # type: ignore[arg-type]
        )
    )
    if [row.tax_rate_id for row in current] == [rate.id for rate in rates]:
        return False
    for row in current:
        session.delete(row)
    session.flush()
    for position, rate in enumerate(rates):
        session.add(
            SubscriptionTaxRate(
                subscription_id=subscription.id, tax_rate_id=rate.id, position=position
            )
        )
    session.flush()
    return True


def tax_rate_ids_of(session: Session, subscription_id: str) -> tuple[str, ...]:
    """The local ids of the subscription's tax rates, in order."""
    query = (
        select(SubscriptionTaxRate.tax_rate_id)
        .where(SubscriptionTaxRate.subscription_id == subscription_id)
        .order_by(SubscriptionTaxRate.position)  # type: ignore[arg-type]
    )
    return tuple(session.exec(query))


def customer_information(info: SubscriptionBillingInformation | None) -> BillingInformation | None:
    """What of ``info`` belongs to the Stripe customer, as the customer sync takes it."""
    if info is None or (info.billingAddress is None and not info.taxIds):
        return None
    address = None
    if info.billingAddress is not None:
        given = info.billingAddress
        address = BillingAddress(
            country=given.country,
            city=given.city,
            state=given.state,
            addressLine1=given.line1,
            addressLine2=given.line2,
            postalCode=given.postalCode,
        )
    return BillingInformation(billingAddress=address, taxIds=info.taxIds or None)
