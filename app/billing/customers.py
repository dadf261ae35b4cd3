"""Customers in Stripe: created or updated from the local customer plus the billing
information that travelled (sealed) in the job message, which is never stored.

Only derived facts are kept locally: the Stripe customer id (``billing_id``) and whether
a default payment method is on file (``has_payment_method``).
"""

from __future__ import annotations

import hashlib
import json
from typing import cast, get_args

import structlog
from sqlmodel import Session
from stripe.params import (
    CustomerCreateParams,
    CustomerCreateParamsAddress,
    CustomerCreateParamsShipping,
    CustomerCreateParamsTaxIdDatum,
    CustomerUpdateParams,
)

from app.billing.client import gateway
from app.billing.idempotency import idempotency_key
from app.customers.schemas import Address, BillingInformation
from app.models import Customer

log = structlog.get_logger(__name__)


def _address(address: Address) -> CustomerCreateParamsAddress:
    params: CustomerCreateParamsAddress = {}
    if address.addressLine1:
        params["line1"] = address.addressLine1
    if address.addressLine2:
        params["line2"] = address.addressLine2
    if address.city:
        params["city"] = address.city
    if address.state:
        params["state"] = address.state
    if address.postalCode:
        params["postal_code"] = address.postalCode
    if address.country:
        params["country"] = address.country
    return params


def _tax_ids(info: BillingInformation) -> list[CustomerCreateParamsTaxIdDatum]:
    known = set(get_args(get_args(CustomerCreateParamsTaxIdDatum.__annotations__["type"])[0]))
    result: list[CustomerCreateParamsTaxIdDatum] = []
    for tax_id in info.taxIds or []:
        if tax_id.type in known:
            # The type was checked against Stripe's own list of tax id types just above.
            datum = {"type": tax_id.type, "value": tax_id.value}
            result.append(cast(CustomerCreateParamsTaxIdDatum, datum))
        else:
            log.warning("stripe.customer.tax_id_skipped", tax_id_type=tax_id.type)
    return result


def customer_params(customer: Customer, info: BillingInformation | None) -> CustomerCreateParams:
    params: CustomerCreateParams = {
        "metadata": {
            "billing_sync_environment_id": customer.environment_id,
            "billing_sync_customer_id": customer.customer_id,
        },
    }
    if customer.name:
        params["name"] = customer.name
    if customer.email:
        params["email"] = customer.email
    if info is None:
        return params
    if info.customerName:
        params["name"] = info.customerName
    if info.billingAddress is not None:
        params["address"] = _address(info.billingAddress)
        if info.billingAddress.phoneNumber:
            params["phone"] = info.billingAddress.phoneNumber
    if info.shippingAddress is not None:
        shipping: CustomerCreateParamsShipping = {
            "address": _address(info.shippingAddress),
            "name": info.customerName or customer.name or customer.customer_id,
        }
        if info.shippingAddress.phoneNumber:
            shipping["phone"] = info.shippingAddress.phoneNumber
        params["shipping"] = shipping
    if info.language:
        params["preferred_locales"] = [info.language]
    tax_ids = _tax_ids(info)
    if tax_ids:
        params["tax_id_data"] = tax_ids
    return params


def _update_params(params: CustomerCreateParams) -> CustomerUpdateParams:
    update: CustomerUpdateParams = {}
    for key in ("name", "email", "phone", "preferred_locales", "metadata", "address", "shipping"):
        if key in params:
            update[key] = params[key]
    return update


def _revision(params: object) -> str:
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]


def ensure_customer(
    session: Session, customer: Customer, info: BillingInformation | None = None
) -> str:
    """The Stripe customer id, creating or updating the Stripe customer as needed."""
    gw = gateway()
    params = customer_params(customer, info)
    if customer.billing_id is None:
        created = gw.call(
            lambda: gw.stripe.v1.customers.create(
                params, {"idempotency_key": idempotency_key("customer.create", customer.id)}
            )
        )
        customer.billing_id = created.id
        session.add(customer)
        session.flush()
        log.info("stripe.customer.created", customer_id=customer.customer_id, billing_id=created.id)
    elif info is not None:
        update = _update_params(params)
        billing_id = customer.billing_id
        gw.call(
            lambda: gw.stripe.v1.customers.update(
                billing_id,
                update,
                {
                    "idempotency_key": idempotency_key(
                        "customer.update", customer.id, revision=_revision(update)
                    )
                },
            )
        )
        log.info("stripe.customer.updated", customer_id=customer.customer_id)
    if info is not None and info.paymentMethodId:
        attach_payment_method(session, customer, info.paymentMethodId)
    return customer.billing_id


def attach_payment_method(session: Session, customer: Customer, payment_method_id: str) -> None:
    gw = gateway()
    billing_id = customer.billing_id
    assert billing_id is not None
    gw.call(
        lambda: gw.stripe.v1.payment_methods.attach(
            payment_method_id,
            {"customer": billing_id},
            {
                "idempotency_key": idempotency_key(
                    "payment_method.attach", customer.id, payment_method_id
                )
            },
        )
    )
    gw.call(
        lambda: gw.stripe.v1.customers.update(
            billing_id,
            {"invoice_settings": {"default_payment_method": payment_method_id}},
            {
                "idempotency_key": idempotency_key(
                    "customer.default_payment_method", customer.id, payment_method_id
                )
            },
        )
    )
    customer.has_payment_method = True
    session.add(customer)
    session.flush()
    log.info("stripe.customer.payment_method_attached", customer_id=customer.customer_id)
