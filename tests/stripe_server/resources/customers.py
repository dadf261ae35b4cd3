"""Customers and their tax ids.

Deleting a customer cancels its subscriptions at once, as Stripe does, and leaves a
`{"id", "object", "deleted": true}` stub that retrieve and expansion return.
"""

from __future__ import annotations

from typing import Any

import stripe.params as sp

from .. import tax_ids as tax_id_formats
from ..errors import invalid_request
from ..forms import (
    Params,
    merged_metadata,
    opt_dict,
    opt_int,
    opt_list,
    opt_str,
    required,
)
from ..listing import created_filter, page, search
from ..routing import router
from ..state import INCLUDABLE, Obj, State, random_token
from . import payment_methods

_ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")
_PROFILE_FIELDS = ("name", "email", "phone", "description")


def address(value: Any) -> Obj | None:
    if not value:
        return None
    return {key: value.get(key) or None for key in _ADDRESS_KEYS}


def shipping(value: Any) -> Obj | None:
    if not value:
        return None
    return {
        "address": address(value.get("address")),
        "carrier": None,
        "name": value.get("name") or None,
        "phone": value.get("phone") or None,
        "tracking_number": None,
    }


def get_live(state: State, customer_id: Any, param: str = "customer") -> Obj:
    return state.get("customer", customer_id, param=param)


def _apply_profile(customer: Obj, params: Params) -> None:
    for field in _PROFILE_FIELDS:
        if field in params:
            customer[field] = opt_str(params, field)
    if "address" in params:
        customer["address"] = address(params["address"])
    if "shipping" in params:
        customer["shipping"] = shipping(params["shipping"])
    if "preferred_locales" in params:
        customer["preferred_locales"] = [
            str(x) for x in opt_list(params, "preferred_locales") or []
        ]
    if "tax_exempt" in params:
        customer["tax_exempt"] = opt_str(params, "tax_exempt") or "none"
    balance = opt_int(params, "balance")
    if balance is not None:
        customer["balance"] = balance
    customer["metadata"] = merged_metadata(customer["metadata"], params.get("metadata"))


def _apply_invoice_settings(
    state: State, customer: Obj, params: Params, created: dict[str, Obj]
) -> None:
    settings = opt_dict(params, "invoice_settings") or {}
    if "default_payment_method" in settings:
        value = settings["default_payment_method"]
        customer["invoice_settings"]["default_payment_method"] = (
            payment_methods.resolve(
                state,
                str(value),
                customer,
                "invoice_settings[default_payment_method]",
                created=created,
            )["id"]
            if value
            else None
        )
    if "footer" in settings:
        customer["invoice_settings"]["footer"] = settings["footer"] or None
    if "custom_fields" in settings:
        fields = settings["custom_fields"] or []
        if not isinstance(fields, list) or len(fields) > 4:
            raise invalid_request(
                "You can have at most 4 custom fields.", param="invoice_settings[custom_fields]"
            )
        customer["invoice_settings"]["custom_fields"] = [
            {"name": str(f["name"]), "value": str(f["value"])} for f in fields
        ] or None


def _checked_tax_ids(params: Params) -> list[Params]:
    """`tax_id_data`, refused whole before anything is created if one value is malformed."""
    data = opt_list(params, "tax_id_data") or []
    for index, datum in enumerate(data):
        kind, value = str(datum["type"]), str(datum["value"])
        tax_id_formats.check(kind, value, f"tax_id_data[{index}][value]")
    return data


def _add_tax_id(state: State, customer: Obj, data: Params) -> Obj:
    kind, value = data["type"], data["value"]
    tax_id = {
        "id": state.new_id("txi"),
        "object": "tax_id",
        "country": str(kind).split("_")[0].upper(),
        "created": state.now(),
        "customer": customer["id"],
        "livemode": False,
        "owner": {"customer": customer["id"], "type": "customer", "customer_account": None},
        "type": kind,
        "value": value,
        "verification": {"status": "pending", "verified_address": None, "verified_name": None},
        "customer_account": None,
    }
    return state.add(tax_id)


@router.get("/v1/customers/search", sp.CustomerSearchParams)
def search_customers(state: State, params: Params) -> Obj:
    return search(state.all("customer"), params, "/v1/customers/search")


@router.post("/v1/customers", sp.CustomerCreateParams)
def create(state: State, params: Params) -> Obj:
    tax_id_data = _checked_tax_ids(params)
    customer: Obj = {
        "id": state.new_id("cus", 14),
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": state.now(),
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": None,
        "invoice_prefix": opt_str(params, "invoice_prefix") or random_token(8).upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {},
        "name": None,
        "next_invoice_sequence": opt_int(params, "next_invoice_sequence") or 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }
    _apply_profile(customer, params)
    state.add(customer)
    tax_ids = [_add_tax_id(state, customer, d) for d in tax_id_data]
    created: dict[str, Obj] = {}
    attached = None
    pm_value = opt_str(params, "payment_method")
    if pm_value is not None:
        name = payment_methods.card_name(pm_value)
        pm = (
            payment_methods.new_card(state, name)
            if name
            else state.get("payment_method", pm_value, param="payment_method")
        )
        attached = payment_methods.attach(state, pm, customer, emit=False)
        created[pm_value] = attached
    _apply_invoice_settings(state, customer, params, created)
    state.emit("customer.created", customer)
    for tax_id in tax_ids:
        state.emit("customer.tax_id.created", tax_id)
    if attached is not None:
        state.emit("payment_method.attached", attached)
    return customer


@router.get("/v1/customers/{customer_id}", sp.CustomerRetrieveParams)
def retrieve(state: State, params: Params, customer_id: str) -> Obj:
    if customer_id in state.deleted:
        return state.deleted[customer_id]
    return get_live(state, customer_id, "id")


@router.post("/v1/customers/{customer_id}", sp.CustomerUpdateParams)
def update(state: State, params: Params, customer_id: str) -> Obj:
    customer = get_live(state, customer_id, "id")
    before = state.render(customer)
    _apply_profile(customer, params)
    _apply_invoice_settings(state, customer, params, {})
    state.emit_update("customer.updated", customer, before)
    return customer


@router.delete("/v1/customers/{customer_id}", sp.CustomerDeleteParams)
def delete(state: State, params: Params, customer_id: str) -> Obj:
    from .subscriptions import end_subscription

    customer = get_live(state, customer_id, "id")
    for sub in state.all("subscription"):
        if sub["customer"] == customer_id and sub["status"] not in (
            "canceled",
            "incomplete_expired",
        ):
            end_subscription(state, sub, reason="cancellation_requested")
    state.emit("customer.deleted", customer)
    return state.remove(customer)


@router.get("/v1/customers", sp.CustomerListParams)
def list_customers(state: State, params: Params) -> Obj:
    found = created_filter(state.all("customer"), params)
    email = opt_str(params, "email")
    if email is not None:
        found = [c for c in found if c["email"] == email]
    return page(found, params, "/v1/customers")


@router.post("/v1/customers/{customer_id}/tax_ids", sp.CustomerCreateTaxIdParams)
def create_tax_id(state: State, params: Params, customer_id: str) -> Obj:
    customer = get_live(state, customer_id, "id")
    kind, value = str(required(params, "type")), str(required(params, "value"))
    tax_id_formats.check(kind, value, "value")
    tax_id = _add_tax_id(state, customer, {"type": kind, "value": value})
    state.emit("customer.tax_id.created", tax_id)
    return tax_id


@router.get("/v1/customers/{customer_id}/tax_ids", sp.CustomerListTaxIdsParams)
def list_tax_ids(state: State, params: Params, customer_id: str) -> Obj:
    get_live(state, customer_id, "id")
    found = [t for t in state.all("tax_id") if t["customer"] == customer_id]
    return page(found, params, f"/v1/customers/{customer_id}/tax_ids")


@router.delete("/v1/customers/{customer_id}/tax_ids/{tax_id}", sp.CustomerDeleteTaxIdParams)
def delete_tax_id(state: State, params: Params, customer_id: str, tax_id: str) -> Obj:
    found = state.get("tax_id", tax_id)
    if found["customer"] != customer_id:
        raise invalid_request(f"No such tax id: '{tax_id}'", status=404, code="resource_missing")
    state.emit("customer.tax_id.deleted", found)
    return state.remove(found)


def _included_list(kind: str, url: str) -> Any:
    def produce(state: State, customer: Obj) -> Obj:
        items = [state.render(o) for o in state.all(kind) if o.get("customer") == customer["id"]]
        items.reverse()
        return {
            "object": "list",
            "data": items,
            "has_more": False,
            "url": url.format(customer["id"]),
        }

    return produce


INCLUDABLE[("customer", "tax_ids")] = _included_list("tax_id", "/v1/customers/{}/tax_ids")
INCLUDABLE[("customer", "subscriptions")] = _included_list(
    "subscription", "/v1/customers/{}/subscriptions"
)
INCLUDABLE[("customer", "sources")] = lambda state, customer: {
    "object": "list",
    "data": [],
    "has_more": False,
    "url": f"/v1/customers/{customer['id']}/sources",
}
