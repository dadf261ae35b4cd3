"""Customers: provision (create or update), update, get, archive and unarchive.

Archiving nulls the customer's PII and hides it from the API; its customer id stays
taken forever, so a later provision with that id is refused rather than silently
reviving or impersonating the archived customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.billing import customers as billing_customers
from app.billing import state as billing_state
from app.catalog import repository as catalog
from app.config import get_settings
from app.customers import repository
from app.customers.schemas import BillingInformation, CustomerFields, check_metadata
from app.db import unit_of_work
from app.environments.service import billing_integrated
from app.errors import (
    BillingIdInUse,
    BillingIdNotFound,
    Conflict,
    CouponNotFound,
    CustomerArchived,
    CustomerNotFound,
    NotSupported,
    ValidationFailed,
)
from app.models import Coupon, Customer, Environment, Subscription
from app.models.base import utcnow
from app.models.catalog import PackageKind
from app.subscriptions.schemas import ProvisionRequest
from app.validation import validate


class SubscriptionDecisionStrategy(StrEnum):
    REQUESTED_PLAN = "REQUESTED_PLAN"
    PREDEFINED_FREE_PLAN = "PREDEFINED_FREE_PLAN"
    PREDEFINED_TRIAL_PLAN = "PREDEFINED_TRIAL_PLAN"
    SKIPPED_SUBSCRIPTION_CREATION = "SKIPPED_SUBSCRIPTION_CREATION"


@dataclass(frozen=True)
class ProvisionedCustomer:
    customer: Customer
    created: bool
    subscription_decision_strategy: SubscriptionDecisionStrategy
    billing_information: BillingInformation | None
    subscription: Subscription | None = None


def _fields(data: dict[str, Any]) -> CustomerFields:
    fields = validate(CustomerFields, data)
    info = fields.billingInformation
    if info is not None and info.integrationId is not None:
        # One billing integration per environment: there is no other to choose.
        raise NotSupported(
            "billingInformation.integrationId is not supported: each environment has one "
            "Stripe account",
            field="input.billingInformation.integrationId",
        )
    settings = get_settings()
    try:
        check_metadata(
            fields.additionalMetaData,
            settings.metadata_max_keys,
            settings.metadata_max_value_length,
        )
    except ValueError as exc:
        raise ValidationFailed(
            f"input.additionalMetaData: {exc}", field="input.additionalMetaData"
        ) from None
    return fields


def _coupon(session: Session, environment: Environment, ref_id: str) -> Coupon:
    coupon = catalog.coupon_by_ref(session, environment.id, ref_id)
    if coupon is None:
        raise CouponNotFound(
            f"no active coupon {ref_id!r} in this environment", field="input.couponRefId"
        )
    return coupon


def _apply(
    session: Session, environment: Environment, customer: Customer, fields: CustomerFields
) -> bool:
    """Copy the fields that were sent onto ``customer``; True when something changed."""
    sent = fields.model_fields_set
    changes: dict[str, Any] = {}
    for attr, key in (
        ("name", "name"),
        ("email", "email"),
        ("crm_id", "crmId"),
        ("billing_id", "billingId"),
        ("additional_metadata", "additionalMetaData"),
    ):
        if key in sent:
            changes[attr] = getattr(fields, key)
    if "excludeFromExperiment" in sent and fields.excludeFromExperiment is not None:
        changes["exclude_from_experiment"] = fields.excludeFromExperiment
    if "couponRefId" in sent:
        ref = fields.couponRefId
        changes["coupon_id"] = None if ref is None else _coupon(session, environment, ref).id
    billing_id = changes.get("billing_id")
    if billing_id is not None and billing_id != customer.billing_id:
        holder = repository.holder_of_billing_id(session, billing_id)
        if holder is not None and holder.id != customer.id:
            raise BillingIdInUse(
                f"billingId {billing_id!r} is linked to another customer", field="input.billingId"
            )
    changed = False
    for attr, value in changes.items():
        if getattr(customer, attr) != value:
            setattr(customer, attr, value)
            changed = True
    return changed


def provision_customer(
    session: Session, environment: Environment, data: dict[str, Any]
) -> ProvisionedCustomer:
    """Create the customer, or update it when the id exists (provision is idempotent).

    ``subscriptionParams`` subscribe a customer that this call creates, following the
    product's customer journey; an existing customer's subscriptions are left alone.
    """
    data = dict(data)
    subscription_params = data.pop("subscriptionParams", None)
    fields = _fields(data)
    customer = repository.find_for_update(session, environment.id, fields.customerId)
    if customer is not None and customer.archived_at is not None:
        raise CustomerArchived(
            f"customer id {fields.customerId!r} belonged to an archived customer and "
            "cannot be provisioned again",
            field="input.customerId",
        )
    created = customer is None
    if customer is None:
        customer = Customer(environment_id=environment.id, customer_id=fields.customerId)
    if _apply(session, environment, customer, fields) or created:
        customer.updated_at = utcnow()
        session.add(customer)
        try:
            session.flush()
        except IntegrityError:
            # A concurrent provision of the same id won the insert; that one stands.
            raise Conflict(
                f"customer {fields.customerId!r} was provisioned concurrently; retry",
                field="input.customerId",
            ) from None
    _forward_to_billing(session, customer, fields.billingInformation)
    strategy = SubscriptionDecisionStrategy.SKIPPED_SUBSCRIPTION_CREATION
    subscription = None
    if created and subscription_params is not None:
        strategy, subscription = _first_subscription(
            session, environment, customer, dict(subscription_params)
        )
    return ProvisionedCustomer(
        customer=customer,
        created=created,
        subscription_decision_strategy=strategy,
        billing_information=fields.billingInformation,
        subscription=subscription,
    )


def _first_subscription(
    session: Session, environment: Environment, customer: Customer, params: dict[str, Any]
) -> tuple[SubscriptionDecisionStrategy, Subscription]:
    from app.subscriptions import service as subscriptions  # noqa: PLC0415

    params["customerId"] = customer.customer_id
    plan = catalog.latest_package(
        session, environment.id, PackageKind.PLAN, str(params.get("planId", ""))
    )
    product = catalog.product_by_id(session, environment.id, plan.product_id) if plan else None
    strategy = SubscriptionDecisionStrategy.REQUESTED_PLAN
    if product is not None and product.override_requested_plan and product.initial_plan_ref:
        params["planId"] = product.initial_plan_ref
        if product.initial_plan_is_trial:
            strategy = SubscriptionDecisionStrategy.PREDEFINED_TRIAL_PLAN
            params["trialOverrideConfiguration"] = {"isTrial": True}
        else:
            strategy = SubscriptionDecisionStrategy.PREDEFINED_FREE_PLAN
    request = validate(ProvisionRequest, params, root="input.subscriptionParams")
    return strategy, subscriptions.provision(session, environment, request).subscription


def update_customer(
    session: Session, environment: Environment, data: dict[str, Any]
) -> tuple[Customer, BillingInformation | None]:
    fields = _fields(data)
    customer = _active(session, environment, fields.customerId, for_update=True)
    changed = _apply(session, environment, customer, fields)
    if changed:
        customer.updated_at = utcnow()
        session.add(customer)
        session.flush()
    if changed or fields.billingInformation is not None:
        _forward_to_billing(session, customer, fields.billingInformation)
    return customer, fields.billingInformation


def _forward_to_billing(
    session: Session, customer: Customer, info: BillingInformation | None
) -> None:
    """Queue the Stripe customer's sync when there is something to send.

    A customer is synced when it has billing information or is already in Stripe; one
    with only free subscriptions stays out. The information rides sealed in the job.
    """
    if info is None and customer.billing_id is None:
        return
    if not billing_integrated(session, customer.environment_id):
        return
    billing_state.request_customer_sync(session, customer, info)


def get_customer(session: Session, environment: Environment, customer_id: str) -> Customer:
    return _active(session, environment, customer_id)


def archive_customer(session: Session, environment: Environment, customer_id: str) -> Customer:
    """Null the PII and hide the customer. Archiving twice is not an error."""
    customer = repository.find_for_update(session, environment.id, customer_id)
    if customer is None:
        raise CustomerNotFound(f"customer {customer_id!r} not found", field="input.customerId")
    if customer.archived_at is None:
        customer.archived_at = utcnow()
        customer.updated_at = customer.archived_at
        customer.name = None
        customer.email = None
        session.add(customer)
        session.flush()
    return customer


def unarchive_customer(session: Session, environment: Environment, customer_id: str) -> Customer:
    customer = repository.find_for_update(session, environment.id, customer_id)
    if customer is None:
        raise CustomerNotFound(f"customer {customer_id!r} not found", field="input.customerId")
    if customer.archived_at is not None:
        customer.archived_at = None
        customer.updated_at = utcnow()
        session.add(customer)
        session.flush()
    return customer


def _active(
    session: Session, environment: Environment, customer_id: str, *, for_update: bool = False
) -> Customer:
    find = repository.find_for_update if for_update else repository.find
    customer = find(session, environment.id, customer_id) if customer_id else None
    if customer is None or customer.archived_at is not None:
        raise CustomerNotFound(f"customer {customer_id!r} not found", field="input.customerId")
    return customer


def check_billing_id(environment: Environment, customer_id: str, billing_id: str) -> None:
    """A client-supplied Stripe customer must exist in the environment's Stripe account
    and must not belong to another customer or environment. Called before the change's
    transaction opens (it asks Stripe)."""
    with unit_of_work(write=False) as session:
        integrated = billing_integrated(session, environment.id)
    if not integrated:
        return
    owner = billing_customers.stripe_owner(environment.id, billing_id)
    if owner is None:
        raise BillingIdNotFound(
            f"billingId {billing_id!r} is not a customer of this environment's Stripe account",
            field="input.billingId",
        )
    tagged = owner != ("", "")
    if tagged and owner != (environment.id, customer_id):
        raise BillingIdInUse(
            f"billingId {billing_id!r} belongs to another customer or environment",
            field="input.billingId",
        )
