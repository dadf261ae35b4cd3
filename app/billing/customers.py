"""Customers in Stripe: created or updated from the local customer plus the billing
information that travelled (sealed) in the job message, which is never stored.

Only derived facts are kept locally: the Stripe customer id (``billing_id``) and whether
a default payment method is on file (``has_payment_method``). Everything here runs under
the customer's lock (``app.billing.locks``) and with no transaction open while Stripe
is called.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import cast

import structlog
from sqlmodel import Session
from stripe.params import (
    CustomerCreateParamsAddress,
    CustomerCreateParamsShipping,
    CustomerCreateParamsTaxIdDatum,
    CustomerTaxIdCreateParams,
    CustomerUpdateParams,
)

from app.billing import state
from app.billing.client import gateway
from app.billing.errors import BillingError, BillingResourceMissing
from app.billing.idempotency import idempotency_key
from app.billing.limits import metadata_text
from app.billing.locks import customer_lock
from app.customers.schemas import Address, BillingInformation
from app.db import in_transaction
from app.models import Customer
from app.models.base import utcnow

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
    # The API refused any type outside Stripe's list (app.customers.tax_ids), so each
    # one here is a member of the params' type literal.
    return [
        cast(CustomerCreateParamsTaxIdDatum, {"type": tax_id.type, "value": tax_id.value})
        for tax_id in info.taxIds or []
    ]


@dataclass(frozen=True)
class CustomerSnapshot:
    """The local customer as it was read, with no session attached."""

    id: str
    environment_id: str
    customer_id: str
    name: str | None
    email: str | None
    billing_id: str | None
    archived: bool
    sync_generation: int
    synced_generation: int
    payment_method_generation: int | None
    # When the row was made (by billing-sync's clock): every attempt to create its
    # Stripe customer came after it.
    created_at: datetime

    @property
    def payment_method_pending(self) -> bool:
        return self.payment_method_generation is not None


def read_customer(customer_id: str) -> CustomerSnapshot | None:
    return in_transaction(partial(snapshot_of, customer_id=customer_id), write=False)


def snapshot_of(session: Session, customer_id: str) -> CustomerSnapshot | None:
    """The customer as ``session`` reads it, to use once the session has ended."""
    row = session.get(Customer, customer_id)
    if row is None:
        return None
    return CustomerSnapshot(
        id=row.id,
        environment_id=row.environment_id,
        customer_id=row.customer_id,
        name=row.name,
        email=row.email,
        billing_id=row.billing_id,
        archived=row.archived_at is not None,
        sync_generation=row.sync_generation,
        synced_generation=row.synced_generation,
        payment_method_generation=row.payment_method_generation,
        created_at=row.created_at,
    )


def _metadata(customer: CustomerSnapshot) -> dict[str, str]:
    return {
        "billing_sync_environment_id": customer.environment_id,
        "billing_sync_customer_id": customer.customer_id,
    }


def _client_metadata(info: BillingInformation | None) -> dict[str, str]:
    """The client's ``billingInformation.metadata``, as Stripe keeps it (checked at the API
    against Stripe's limits, leaving room for billing-sync's own keys)."""
    if info is None or not info.metadata:
        return {}
    return {key: metadata_text(value) for key, value in info.metadata.items()}


def customer_params(
    customer: CustomerSnapshot, info: BillingInformation | None
) -> CustomerUpdateParams:
    metadata = {**_client_metadata(info), **_metadata(customer)}
    # Stripe customers have no time zone or currency of their own to set: they are kept
    # on the customer's metadata, where invoices and the dashboard can show them.
    if info is not None and info.timezone:
        metadata["billing_sync_timezone"] = info.timezone
    if info is not None and info.currency:
        metadata["billing_sync_currency"] = info.currency
    params: CustomerUpdateParams = {"metadata": metadata}
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
    if info.invoiceCustomFields:
        params["invoice_settings"] = {
            "custom_fields": [
                {"name": name, "value": metadata_text(value)}
                for name, value in info.invoiceCustomFields.items()
            ]
        }
    return params


def _find_existing(customer: CustomerSnapshot) -> str | None:
    """The Stripe customer an earlier, answer-lost attempt made for this customer."""
    gw = gateway(customer.environment_id)
    query = (
        f"metadata['billing_sync_customer_id']:'{_quoted(customer.customer_id)}' AND "
        f"metadata['billing_sync_environment_id']:'{customer.environment_id}'"
    )
    found = gw.call(lambda: gw.stripe.v1.customers.search({"query": query, "limit": 10}))
    wanted = _metadata(customer)
    for candidate in found.data:
        # Search matches without regard to case; customer ids are case-sensitive.
        tags: dict[str, str] = candidate.to_dict().get("metadata") or {}
        if all(tags.get(key) == value for key, value in wanted.items()):
            return candidate.id
    return None


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


# Stripe answers a request again under its idempotency key for at least 24 hours. Every
# attempt to create a customer younger than this was made under a key Stripe still
# answers, so its creation needs no search first (a request to Stripe fewer while a
# user waits for a checkout).
KEY_ANSWERED_FOR = timedelta(hours=23)


def ensure_exists(customer: CustomerSnapshot, *, record: bool = True) -> str:
    """The Stripe customer's id, creating it (once) if it does not exist yet.

    Only this function creates Stripe customers. The creation carries nothing but the
    metadata that identifies the local customer, under a key of the local id alone: a
    retry within Stripe's 24 hours replays the first answer, and after that the search
    by metadata finds the customer, so a lost answer never makes a second one. The
    search is made only for a customer older than ``KEY_ANSWERED_FOR``: a younger one's
    earlier attempts, if any, are all still answered by their key. The id is recorded
    at once, in its own transaction; with ``record=False`` the caller records it (an id
    never recorded is found again the same way, so this saves a transaction, not safety).
    """
    if customer.billing_id is not None:
        return customer.billing_id
    fresh = utcnow() - customer.created_at < KEY_ANSWERED_FOR
    billing_id = None if fresh else _find_existing(customer)
    if billing_id is None:
        gw = gateway(customer.environment_id)
        metadata = _metadata(customer)
        created = gw.call(
            lambda: gw.stripe.v1.customers.create(
                {"metadata": metadata},
                {"idempotency_key": idempotency_key("customer.create", customer.id)},
            )
        )
        billing_id = created.id
        log.info("stripe.customer.created", customer_id=customer.customer_id, billing_id=billing_id)
    if record:
        state.record_customer_billing_id(customer.id, billing_id)
    return billing_id


def _push(
    customer: CustomerSnapshot,
    billing_id: str,
    info: BillingInformation | None,
    card_generation: int | None,
) -> None:
    """Bring the Stripe customer's fields to the local state (plus what ``info`` says).

    The key names this request: the local id, the generation whose job carries ``info``
    (each such job is a request of its own) and the generation of the stored fields.
    """
    gw = gateway(customer.environment_id)
    params = customer_params(customer, info)
    job = "fields" if card_generation is None else str(card_generation)
    key = idempotency_key(
        "customer.update", customer.id, revision=f"{job}:{customer.sync_generation}"
    )
    gw.call(lambda: gw.stripe.v1.customers.update(billing_id, params, {"idempotency_key": key}))
    if info is not None and info.taxIds:
        _add_tax_ids(customer, billing_id, info)
    log.info("stripe.customer.updated", customer_id=customer.customer_id)


def _add_tax_ids(customer: CustomerSnapshot, billing_id: str, info: BillingInformation) -> None:
    gw = gateway(customer.environment_id)
    existing = gw.call(lambda: gw.stripe.v1.customers.tax_ids.list(billing_id, {"limit": 100}))
    have = {(t.type, t.value) for t in existing.data}
    for datum in _tax_ids(info):
        if (datum["type"], datum["value"]) in have:
            continue
        params: CustomerTaxIdCreateParams = {"type": datum["type"], "value": datum["value"]}
        digest = hashlib.sha256(f"{datum['type']}:{datum['value']}".encode()).hexdigest()[:16]
        # The generation makes a tax id removed and given again a new request.
        key = idempotency_key(
            "customer.tax_id", customer.id, digest, revision=str(customer.sync_generation)
        )
        gw.call(
            partial(
                gw.stripe.v1.customers.tax_ids.create,
                billing_id,
                params,
                {"idempotency_key": key},
            )
        )


def attach_payment_method(
    customer: CustomerSnapshot, billing_id: str, payment_method_id: str, generation: int
) -> None:
    gw = gateway(customer.environment_id)
    gw.call(
        lambda: gw.stripe.v1.payment_methods.attach(
            payment_method_id,
            {"customer": billing_id},
            {
                "idempotency_key": idempotency_key(
                    "payment_method.attach",
                    customer.id,
                    payment_method_id,
                    revision=str(generation),
                )
            },
        )
    )
    # The generation (on both keys) keeps a card that comes back (A, then B, then A
    # again) from replaying the first answers while B is the default.
    gw.call(
        lambda: gw.stripe.v1.customers.update(
            billing_id,
            {"invoice_settings": {"default_payment_method": payment_method_id}},
            {
                "idempotency_key": idempotency_key(
                    "customer.default_payment_method", customer.id, revision=str(generation)
                )
            },
        )
    )
    log.info("stripe.customer.payment_method_attached", customer_id=customer.customer_id)


def sync_customer(
    customer_id: str, info: BillingInformation | None = None, generation: int | None = None
) -> None:
    """Make the Stripe customer match the local one, and forward ``info`` (from the job
    of ``generation``) on the way. A refusal is recorded on the customer, not raised;
    what a retry can fix is raised for the job to retry."""
    with customer_lock(customer_id):
        snapshot = read_customer(customer_id)
        if snapshot is None or snapshot.archived:
            log.info("billing.customer.skipped", customer_id=customer_id)
            return
        # Only the newest card given is attached: an older card's job that arrives late
        # (retried, redelivered) must not replace it as the default.
        card = (
            info is not None
            and bool(info.paymentMethodId)
            and generation is not None
            and snapshot.payment_method_generation == generation
        )
        if info is not None and info.paymentMethodId and not card:
            log.info("billing.customer.card_superseded", customer_id=snapshot.customer_id)
        card_generation = generation if card else None
        try:
            billing_id = ensure_exists(snapshot)
            if info is not None or snapshot.synced_generation < snapshot.sync_generation:
                _push(snapshot, billing_id, info, generation if info is not None else None)
            if card and info is not None and info.paymentMethodId and generation is not None:
                attach_payment_method(snapshot, billing_id, info.paymentMethodId, generation)
        except BillingError as exc:
            if exc.retryable:
                raise
            state.record_customer_failure(customer_id, exc, card_generation=card_generation)
            log.warning(
                "billing.customer.refused",
                customer_id=snapshot.customer_id,
                code=exc.code,
                **exc.details,
            )
            return
        state.record_customer_synced(
            customer_id,
            snapshot.sync_generation,
            card_generation=card_generation,
            has_payment_method=True if card else None,
        )


class PaymentMethodOnItsWay(BillingError):
    """A card given to the customer is not attached in Stripe yet: wait for it."""

    code = "PAYMENT_METHOD_PENDING"
    retryable = True


def customer_for_billing(
    customer_id: str, snapshot: CustomerSnapshot | None = None, *, record: bool = True
) -> str:
    """The Stripe customer a subscription or checkout of this customer is billed to.

    Called under the customer's lock. The Stripe customer is made (or brought up to
    date) here if need be; a card still on its way makes the caller wait for it.
    ``snapshot`` is the customer as the caller read it under the lock it holds, saving
    a read. With ``record=False``, a Stripe customer made here is left for the caller to
    record (``state.set_once_in`` in its own next write, or alone if that fails), still
    under the lock; it is recorded here anyway when the customer has fields to push.
    """
    with customer_lock(customer_id):
        if snapshot is None or snapshot.id != customer_id:
            snapshot = read_customer(customer_id)
        if snapshot is None:
            raise LookupError(f"customer {customer_id} does not exist")
        if snapshot.payment_method_pending:
            raise PaymentMethodOnItsWay("the customer's payment method is still on its way")
        behind = snapshot.synced_generation < snapshot.sync_generation
        # A push writes in any case, and may fail: the id is recorded before it.
        billing_id = ensure_exists(snapshot, record=record or behind)
        if behind:
            _push(snapshot, billing_id, None, None)
            state.record_customer_synced(customer_id, snapshot.sync_generation)
        return billing_id


def stripe_owner(environment_id: str, billing_id: str) -> tuple[str, str] | None:
    """(environment id, customer id) that billing-sync's metadata on the Stripe customer
    names ("" for each when it names none), or None when the environment's Stripe account
    has no such customer."""
    gw = gateway(environment_id)
    try:
        found = gw.call(lambda: gw.stripe.v1.customers.retrieve(billing_id))
    except BillingResourceMissing:
        return None
    if getattr(found, "deleted", False):
        return None
    tags: dict[str, str] = found.to_dict().get("metadata") or {}
    return (
        str(tags.get("billing_sync_environment_id", "")),
        str(tags.get("billing_sync_customer_id", "")),
    )
