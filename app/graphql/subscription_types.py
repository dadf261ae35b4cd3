"""Subscription types as clients see them, built from a ``SubscriptionView``.

Every type is filled in while the resolver's session is still open (inside
``run``), so nothing here loads lazily once the response is being written.

``CustomerSubscription.customer`` is the ``Customer`` type of ``app.graphql.customers``,
which itself shows a subscription when provisioning; the reference is lazy so the two
modules do not import each other at load time, and the caller passes the built
``Customer`` in.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.graphql.catalog import Addon, Feature, Money, Plan
from app.graphql.common import (
    JSON,
    BillingModel,
    BillingPeriod,
    PaymentCollection,
    PricingType,
    ProvisionSubscriptionStatus,
    SubscriptionInvoiceStatus,
    SubscriptionStatus,
    iso,
    json_value,
    number,
)
from app.graphql.entitlement_types import Entitlement
from app.subscriptions.views import PriceLine, SubscriptionView, Totals

if TYPE_CHECKING:
    from app.graphql.customers import Customer


def _money(amount: Decimal, currency: str) -> Money:
    return Money(amount=number(amount) or 0.0, currency=currency)


@strawberry.type
class Price:
    id: str
    billing_model: BillingModel
    billing_period: BillingPeriod
    billing_country_code: str | None
    price: Money | None
    # The feature's refId, the name clients use for it everywhere else (billableFeatures).
    feature_id: str | None
    feature: Feature | None
    min_unit_quantity: float | None
    max_unit_quantity: float | None

    @classmethod
    def of(cls, line: PriceLine) -> Price:
        row = line.price
        return cls(
            id=row.id,
            billing_model=BillingModel(row.billing_model),
            billing_period=BillingPeriod(row.billing_period),
            billing_country_code=row.billing_country_code,
            price=_money(row.amount, row.currency),
            feature_id=line.feature.ref_id if line.feature is not None else None,
            feature=Feature.of(line.feature) if line.feature is not None else None,
            min_unit_quantity=row.min_unit_quantity,
            max_unit_quantity=row.max_unit_quantity,
        )


@strawberry.type
class SubscriptionPrice:
    billing_model: BillingModel
    feature_id: str | None
    # The quantity bought of a per-unit price; a flat fee has no limit to show.
    usage_limit: float | None
    price: Price

    @classmethod
    def of(cls, line: PriceLine) -> SubscriptionPrice:
        price = Price.of(line)
        per_unit = price.billing_model is BillingModel.PER_UNIT
        return cls(
            billing_model=price.billing_model,
            feature_id=price.feature_id,
            usage_limit=float(line.quantity) if per_unit else None,
            price=price,
        )


@strawberry.type
class CustomerSubscriptionTotalPrice:
    sub_total: Money
    total: Money
    addons_total: Money

    @classmethod
    def of(cls, totals: Totals) -> CustomerSubscriptionTotalPrice:
        return cls(
            sub_total=_money(totals.sub_total, totals.currency),
            total=_money(totals.total, totals.currency),
            addons_total=_money(totals.addons_total, totals.currency),
        )


@strawberry.type
class SubscriptionAddon:
    id: str
    quantity: int
    addon: Addon


@strawberry.type
class CustomerResource:
    resource_id: str


@strawberry.type
class SubscriptionInvoice:
    billing_id: str
    status: SubscriptionInvoiceStatus
    created_at: str
    updated_at: str
    requires_action: bool
    payment_url: str | None
    payment_secret: str | None
    error_message: str | None
    amount_due: float | None
    total: float | None
    pdf_url: str | None
    currency: str | None

    @classmethod
    def of(cls, stored: dict[str, Any] | None) -> SubscriptionInvoice | None:
        """The invoice summary the billing jobs and webhooks keep on the subscription."""
        if not stored:
            return None
        return cls(
            billing_id=str(stored["billingId"]),
            status=SubscriptionInvoiceStatus(stored["status"]),
            created_at=str(stored.get("createdAt") or ""),
            updated_at=str(stored.get("updatedAt") or stored.get("createdAt") or ""),
            requires_action=bool(stored.get("requiresAction")),
            payment_url=stored.get("paymentUrl"),
            payment_secret=stored.get("paymentSecret"),
            error_message=stored.get("errorMessage"),
            amount_due=stored.get("amountDue"),
            total=stored.get("total"),
            pdf_url=stored.get("pdfUrl"),
            currency=stored.get("currency"),
        )


@strawberry.type
class CustomerSubscription:
    id: str
    subscription_id: str
    ref_id: str
    environment_id: str
    status: SubscriptionStatus
    start_date: str
    end_date: str | None
    trial_end_date: str | None
    cancellation_date: str | None
    effective_end_date: str | None
    current_billing_period_start: str | None
    current_billing_period_end: str | None
    billing_period: BillingPeriod | None
    pricing_type: PricingType
    prices: list[SubscriptionPrice] | None
    total_price: CustomerSubscriptionTotalPrice | None
    plan: Plan
    addons: list[SubscriptionAddon] | None
    customer: Annotated[Customer, strawberry.lazy("app.graphql.customers")]
    customer_id: str | None
    resource: CustomerResource | None
    resource_id: str | None
    additional_meta_data: JSON | None
    payment_collection: PaymentCollection
    # Filled from the billing integration's invoices; there are none without it.
    latest_invoice: SubscriptionInvoice | None
    billing_id: str | None
    billing_sync_error: str | None
    billing_sync_error_code: str | None
    # Where a PAYMENT_PENDING subscription is paid, for callers whose provisioning call
    # answered before the Checkout Session existed.
    checkout_url: str | None
    checkout_billing_id: str | None
    was_in_trial: bool | None
    created_at: str | None

    @classmethod
    def of(cls, view: SubscriptionView, customer: Customer) -> CustomerSubscription:
        row = view.subscription
        return cls(
            id=row.id,
            subscription_id=row.ref_id,
            ref_id=row.ref_id,
            environment_id=row.environment_id,
            status=SubscriptionStatus(row.status),
            start_date=iso(row.start_date) or "",
            end_date=iso(row.end_date),
            trial_end_date=iso(row.trial_end_date),
            cancellation_date=iso(row.cancellation_date),
            effective_end_date=iso(row.effective_end_date),
            current_billing_period_start=iso(row.current_billing_period_start),
            current_billing_period_end=iso(row.current_billing_period_end),
            billing_period=BillingPeriod(row.billing_period) if row.billing_period else None,
            pricing_type=PricingType(row.pricing_type),
            prices=[SubscriptionPrice.of(line) for line in [*view.plan_prices, *view.addon_prices]],
            total_price=CustomerSubscriptionTotalPrice.of(view.totals) if view.totals else None,
            plan=Plan.of(view.plan),
            addons=[
                SubscriptionAddon(
                    id=item.item_id, quantity=item.quantity, addon=Addon.of(item.addon)
                )
                for item in view.addons
            ],
            customer=customer,
            customer_id=view.customer.customer_id,
            resource=CustomerResource(resource_id=row.resource_id) if row.resource_id else None,
            resource_id=row.resource_id,
            additional_meta_data=json_value(row.additional_metadata),
            payment_collection=PaymentCollection(row.payment_collection),
            latest_invoice=SubscriptionInvoice.of(row.latest_invoice),
            billing_id=row.billing_id,
            billing_sync_error=row.billing_sync_error,
            billing_sync_error_code=row.billing_sync_error_code,
            checkout_url=row.checkout_url,
            checkout_billing_id=row.checkout_billing_id,
            was_in_trial=row.was_in_trial,
            created_at=iso(row.created_at),
        )


@strawberry.type
class ProvisionSubscriptionResult:
    id: str
    status: ProvisionSubscriptionStatus
    checkout_url: str | None
    checkout_billing_id: str | None
    subscription: CustomerSubscription | None
    entitlements: list[Entitlement] | None = None


@strawberry.type
class SubscriptionMigrationResult:
    subscription_id: str
