"""Customer inputs, types and resolvers, named as the platform names them."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.customers import service
from app.entitlements import service as entitlements
from app.entitlements.promotions import promotional_entitlements_of
from app.graphql.catalog import Coupon
from app.graphql.common import JSON, SubscriptionDecisionStrategy, iso, json_value, selects
from app.graphql.compiled import Paths
from app.graphql.context import Info, as_dict, run
from app.graphql.entitlement_types import Entitlement
from app.graphql.promotions import PromotionalEntitlement
from app.graphql.subscription_inputs import ProvisionCustomerSubscriptionInput
from app.graphql.subscription_types import CustomerSubscription
from app.models import Coupon as CouponRow
from app.models import Customer as CustomerRow
from app.models import Environment
from app.subscriptions import service as subscriptions

UNSET: Any = strawberry.UNSET


@strawberry.input
class Address:
    address_line1: str | None = UNSET
    address_line2: str | None = UNSET
    city: str | None = UNSET
    country: str | None = UNSET
    phone_number: str | None = UNSET
    postal_code: str | None = UNSET
    state: str | None = UNSET


@strawberry.input
class TaxExempt:
    type: str
    value: str


@strawberry.input
class CustomerBillingInfo:
    billing_address: Address | None = UNSET
    currency: str | None = UNSET
    customer_name: str | None = UNSET
    integration_id: str | None = UNSET
    invoice_custom_fields: JSON | None = UNSET
    language: str | None = UNSET
    metadata: JSON | None = UNSET
    payment_method_id: str | None = UNSET
    shipping_address: Address | None = UNSET
    tax_ids: list[TaxExempt] | None = UNSET
    timezone: str | None = UNSET


@strawberry.input
class ProvisionCustomerInput:
    additional_meta_data: JSON | None = UNSET
    billing_id: str | None = UNSET
    billing_information: CustomerBillingInfo | None = UNSET
    coupon_ref_id: str | None = UNSET
    crm_id: str | None = UNSET
    customer_id: str | None = UNSET
    email: str | None = UNSET
    exclude_from_experiment: bool | None = UNSET
    name: str | None = UNSET
    ref_id: str | None = UNSET
    should_sync_free: bool | None = UNSET
    subscription_params: ProvisionCustomerSubscriptionInput | None = UNSET


@strawberry.input
class UpdateCustomerInput:
    additional_meta_data: JSON | None = UNSET
    billing_id: str | None = UNSET
    billing_information: CustomerBillingInfo | None = UNSET
    coupon_ref_id: str | None = UNSET
    crm_id: str | None = UNSET
    customer_id: str | None = UNSET
    email: str | None = UNSET
    name: str | None = UNSET
    ref_id: str | None = UNSET
    should_wait_sync: bool | None = UNSET


@strawberry.input(name="GetCustomerByRefIdInput")
class GetCustomerByRefIdInput:
    customer_id: str


@strawberry.input
class ArchiveCustomerInput:
    customer_id: str


@strawberry.input
class UnarchiveCustomerInput:
    customer_id: str


@strawberry.type
class Customer:
    id: str
    customer_id: str
    ref_id: str
    environment_id: str
    name: str | None
    email: str | None
    created_at: str | None
    updated_at: str
    billing_id: str | None
    crm_id: str | None
    has_payment_method: bool
    # billing-sync's own: why the Stripe customer is not in step (a stable code and a
    # message safe to show), null once a sync succeeds.
    billing_sync_error: str | None
    billing_sync_error_code: str | None
    exclude_from_experiment: bool | None
    additional_meta_data: JSON | None
    coupon: Coupon | None
    promotional_entitlements: list[PromotionalEntitlement] | None

    @classmethod
    def of(cls, session: Session, row: CustomerRow, *, promotions: bool = True) -> Customer:
        """The customer as the API shows it; ``promotions=False`` when the query does not
        ask for ``promotionalEntitlements`` (left null, unread)."""
        coupon = session.get(CouponRow, row.coupon_id) if row.coupon_id else None
        return cls(
            id=row.id,
            customer_id=row.customer_id,
            ref_id=row.customer_id,
            environment_id=row.environment_id,
            name=row.name,
            email=row.email,
            created_at=iso(row.created_at),
            updated_at=iso(row.updated_at) or "",
            billing_id=row.billing_id,
            crm_id=row.crm_id,
            has_payment_method=row.has_payment_method,
            billing_sync_error=row.billing_sync_error,
            billing_sync_error_code=row.billing_sync_error_code,
            exclude_from_experiment=row.exclude_from_experiment,
            additional_meta_data=json_value(row.additional_metadata),
            coupon=Coupon.of(coupon) if coupon is not None else None,
            promotional_entitlements=[
                PromotionalEntitlement.of(granted)
                for granted in promotional_entitlements_of(session, row)
            ]
            if promotions
            else None,
        )


@strawberry.type
class ProvisionedCustomer:
    customer: Customer
    subscription_decision_strategy: SubscriptionDecisionStrategy
    subscription: CustomerSubscription | None
    # What the customer is entitled to once provisioned (outside any resource).
    entitlements: list[Entitlement] | None


def _customer_data(raw: dict[str, Any]) -> dict[str, Any]:
    """Map the input's names onto the service's: refId is an alias of customerId."""
    data = dict(raw)
    ref_id = data.pop("refId", None)
    if "customerId" not in data or data["customerId"] is None:
        if ref_id is None:
            data["customerId"] = ""
        else:
            data["customerId"] = ref_id
    for accepted_only in ("shouldSyncFree", "shouldWaitSync"):
        data.pop(accepted_only, None)
    return data


def _customer(
    session: Session, environment: Environment, customer_id: str, *, promotions: bool
) -> Customer:
    row = service.get_customer(session, environment, customer_id)
    return Customer.of(session, row, promotions=promotions)


def read_customer(
    session: Session, environment: Environment, arguments: dict[str, Any], paths: Paths
) -> Customer:
    """getCustomerByRefId on a plan (app.graphql.compiled): the resolver's read."""
    promotions = ("promotionalEntitlements",) in paths
    return _customer(session, environment, arguments["input"].customer_id, promotions=promotions)


@strawberry.type
class CustomerQueries:
    @strawberry.field
    async def get_customer_by_ref_id(self, info: Info, input: GetCustomerByRefIdInput) -> Customer:
        promotions = selects(info.selected_fields[0].selections, "promotionalEntitlements")

        def call(session: Session, environment: Environment) -> Customer:
            return _customer(session, environment, input.customer_id, promotions=promotions)

        return await run(info, call)


async def _check_billing_id(info: Info, data: dict[str, Any]) -> None:
    billing_id, customer_id = data.get("billingId"), data.get("customerId")
    if isinstance(billing_id, str) and billing_id and isinstance(customer_id, str):
        environment = info.context.environment
        await run_in_threadpool(service.check_billing_id, environment, customer_id, billing_id)


def _provisioned(
    session: Session,
    environment: Environment,
    data: dict[str, Any],
    *,
    promotions: bool,
    with_entitlements: bool,
) -> ProvisionedCustomer:
    result = service.provision_customer(session, environment, data)
    customer = Customer.of(session, result.customer, promotions=promotions)
    subscription = None
    if result.subscription is not None:
        view = subscriptions.view(session, result.subscription)
        subscription = CustomerSubscription.of(view, customer)
    decisions = (
        entitlements.checks(session, environment, result.customer.customer_id, None, fresh=True)
        if with_entitlements
        else None
    )
    return ProvisionedCustomer(
        customer=customer,
        subscription_decision_strategy=SubscriptionDecisionStrategy(
            result.subscription_decision_strategy
        ),
        subscription=subscription,
        entitlements=None
        if decisions is None
        else [Entitlement.of(decision) for decision in decisions],
    )


def write_provision(
    session: Session, environment: Environment, arguments: dict[str, Any], paths: Paths
) -> ProvisionedCustomer | None:
    """provisionCustomer on a plan (app.graphql.compiled): the resolver's write, given
    the input as coerced (``as_dict``'s form). A provision that names a billing id
    (checked against Stripe first, outside the transaction) or subscribes the customer
    takes the full path."""
    data = _customer_data(arguments["input"])
    if data.get("billingId") or data.get("subscriptionParams") is not None:
        return None
    return _provisioned(
        session,
        environment,
        data,
        promotions=("customer", "promotionalEntitlements") in paths,
        with_entitlements=("entitlements",) in paths,
    )


@strawberry.type
class CustomerMutations:
    @strawberry.mutation
    async def provision_customer(
        self, info: Info, input: ProvisionCustomerInput
    ) -> ProvisionedCustomer:
        data = _customer_data(as_dict(input))
        await _check_billing_id(info, data)
        asked = info.selected_fields[0].selections
        promotions = selects(asked, "customer", "promotionalEntitlements") or selects(
            asked, "subscription", "customer", "promotionalEntitlements"
        )
        with_entitlements = selects(asked, "entitlements")

        def call(session: Session, environment: Environment) -> ProvisionedCustomer:
            return _provisioned(
                session,
                environment,
                data,
                promotions=promotions,
                with_entitlements=with_entitlements,
            )

        return await run(info, call)

    @strawberry.mutation
    async def update_one_customer(self, info: Info, input: UpdateCustomerInput) -> Customer:
        data = _customer_data(as_dict(input))
        await _check_billing_id(info, data)

        def call(session: Session, environment: Environment) -> Customer:
            row, _billing_information = service.update_customer(session, environment, data)
            return Customer.of(session, row)

        return await run(info, call)

    @strawberry.mutation
    async def archive_customer(self, info: Info, input: ArchiveCustomerInput) -> Customer:
        def call(session: Session, environment: Environment) -> Customer:
            return Customer.of(
                session, service.archive_customer(session, environment, input.customer_id)
            )

        return await run(info, call)

    @strawberry.mutation
    async def unarchive_customer(self, info: Info, input: UnarchiveCustomerInput) -> Customer:
        def call(session: Session, environment: Environment) -> Customer:
            return Customer.of(
                session, service.unarchive_customer(session, environment, input.customer_id)
            )

        return await run(info, call)
