"""estimateSubscription and estimateSubscriptionUpdate, as the platform names them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry
from sqlmodel import Session

from app.graphql.catalog import Money
from app.graphql.common import BillingPeriod, iso
from app.graphql.compiled import Paths
from app.graphql.context import Info, as_dict, run
from app.graphql.subscription_inputs import (
    BillableFeatureInput,
    SubscriptionAddonInput,
    SubscriptionBillingInfo,
    SubscriptionCouponInput,
    TrialOverrideConfigurationInput,
)
from app.models import Environment
from app.pricing import estimates

UNSET: Any = strawberry.UNSET


@strawberry.input
class EstimateSubscriptionInput:
    customer_id: str
    plan_id: str
    addons: list[SubscriptionAddonInput] | None = UNSET
    applied_coupon: SubscriptionCouponInput | None = UNSET
    billable_features: list[BillableFeatureInput] | None = UNSET
    billing_country_code: str | None = UNSET
    billing_information: SubscriptionBillingInfo | None = UNSET
    billing_period: BillingPeriod | None = UNSET
    promotion_code: str | None = UNSET
    resource_id: str | None = UNSET
    skip_trial: bool | None = UNSET
    start_date: str | None = UNSET
    trial_override_configuration: TrialOverrideConfigurationInput | None = UNSET
    unit_quantity: float | None = UNSET


@strawberry.input
class EstimateSubscriptionUpdateInput:
    subscription_id: str
    addons: list[SubscriptionAddonInput] | None = UNSET
    applied_coupon: SubscriptionCouponInput | None = UNSET
    billable_features: list[BillableFeatureInput] | None = UNSET
    billing_period: BillingPeriod | None = UNSET
    promotion_code: str | None = UNSET
    proration_date: str | None = UNSET
    unit_quantity: float | None = UNSET


@strawberry.type
class DateRange:
    start: str | None
    end: str | None


@strawberry.type
class SubscriptionPreviewProrations:
    proration_date: str
    credit: Money
    debit: Money
    net_amount: Money
    has_prorations: bool | None


@strawberry.type
class SubscriptionPreviewLine:
    price_id: str
    quantity: int
    unit_amount: Money
    amount: Money


@strawberry.type
class SubscriptionPreview:
    sub_total: Money
    total: Money
    total_excluding_tax: Money
    discount_amount: Money | None
    tax: Money | None
    billing_period_range: DateRange
    proration: SubscriptionPreviewProrations | None
    lines: list[SubscriptionPreviewLine]

    @classmethod
    def of(cls, estimate: estimates.Estimate) -> SubscriptionPreview:
        currency = estimate.currency

        def money(amount: Decimal) -> Money:
            return Money(amount=float(amount), currency=currency)

        change = estimate.proration
        return cls(
            sub_total=money(estimate.sub_total),
            total=money(estimate.total),
            total_excluding_tax=money(
                estimate.total - estimate.quote.tax if change is None else estimate.total
            ),
            discount_amount=money(estimate.quote.discount) if change is None else None,
            tax=money(estimate.quote.tax) if change is None else None,
            billing_period_range=DateRange(
                start=iso(estimate.period_start), end=iso(estimate.period_end)
            ),
            proration=None
            if change is None
            else SubscriptionPreviewProrations(
                proration_date=iso(change.proration_date) or "",
                credit=money(change.credit),
                debit=money(change.debit),
                net_amount=money(change.net_amount),
                has_prorations=change.has_prorations,
            ),
            lines=[
                SubscriptionPreviewLine(
                    price_id=line.key,
                    quantity=line.quantity,
                    unit_amount=money(line.unit_amount),
                    amount=money(line.amount),
                )
                for line in estimate.quote.lines
            ],
        )


def read_estimate(
    session: Session, environment: Environment, arguments: dict[str, Any], _paths: Paths
) -> SubscriptionPreview:
    """estimateSubscription on a plan (app.graphql.compiled): the resolver's read."""
    data = as_dict(arguments["input"])
    return SubscriptionPreview.of(estimates.estimate_subscription(session, environment, data))


def read_estimate_update(
    session: Session, environment: Environment, arguments: dict[str, Any], _paths: Paths
) -> SubscriptionPreview:
    """estimateSubscriptionUpdate on a plan (app.graphql.compiled): the resolver's read."""
    data = as_dict(arguments["input"])
    return SubscriptionPreview.of(
        estimates.estimate_subscription_update(session, environment, data)
    )


@strawberry.type
class EstimateMutations:
    @strawberry.mutation
    async def estimate_subscription(
        self, info: Info, input: EstimateSubscriptionInput
    ) -> SubscriptionPreview:
        data = as_dict(input)

        def call(session: Session, environment: Environment) -> SubscriptionPreview:
            return SubscriptionPreview.of(
                estimates.estimate_subscription(session, environment, data)
            )

        return await run(info, call, write=False)  # prices a change, stores nothing

    @strawberry.mutation
    async def estimate_subscription_update(
        self, info: Info, input: EstimateSubscriptionUpdateInput
    ) -> SubscriptionPreview:
        data = as_dict(input)

        def call(session: Session, environment: Environment) -> SubscriptionPreview:
            return SubscriptionPreview.of(
                estimates.estimate_subscription_update(session, environment, data)
            )

        return await run(info, call, write=False)  # prices a change, stores nothing
