"""Payment methods from Stripe's test tokens, and how each one behaves when charged.

`pm_card_visa`, `tok_visa` and the test card numbers map to a card. Most cards pay;
`chargeCustomerFail` (4000000000000341) attaches but every charge is declined,
`authenticationRequired` (4000002760003184) needs 3-D Secure on every charge, and
`chargeDeclined` (4000000000000002) is declined when attached, as in Stripe's test mode.
A `pm_card_*` id used where an existing payment method is expected (attach, a
customer's `payment_method`) creates a fresh card, as Stripe does.
"""

from __future__ import annotations

from typing import Any

import stripe.params as sp

from ..errors import card_error, invalid_request
from ..forms import Params, merged_metadata, opt_dict, opt_str, required
from ..listing import page
from ..routing import router
from ..state import Obj, State

# name: (brand, last4, funding, behaviour)
CARDS: dict[str, tuple[str, str, str, str]] = {
    "visa": ("visa", "4242", "credit", "succeed"),
    "visa_debit": ("visa", "5556", "debit", "succeed"),
    "mastercard": ("mastercard", "4444", "credit", "succeed"),
    "amex": ("amex", "8431", "credit", "succeed"),
    "chargeCustomerFail": ("visa", "0341", "credit", "fail"),
    "authenticationRequired": ("visa", "3184", "credit", "require_action"),
    "threeDSecureRequired": ("visa", "3063", "credit", "require_action"),
    "chargeDeclined": ("visa", "0002", "credit", "decline_on_attach"),
}
NUMBERS = {
    "4242424242424242": "visa",
    "4000056655665556": "visa_debit",
    "5555555555554444": "mastercard",
    "378282246310005": "amex",
    "4000000000000341": "chargeCustomerFail",
    "4000002760003184": "authenticationRequired",
    "4000000000003063": "threeDSecureRequired",
    "4000000000000002": "chargeDeclined",
}


def card_name(token: str) -> str | None:
    for prefix in ("pm_card_", "tok_"):
        if token.startswith(prefix) and token[len(prefix) :] in CARDS:
            return token[len(prefix) :]
    return None


def new_card(state: State, name: str, params: Params | None = None) -> Obj:
    brand, last4, funding, behaviour = CARDS[name]
    params = params or {}
    billing = opt_dict(params, "billing_details") or {}
    address = billing.get("address") or {}
    pm: Obj = {
        "id": state.new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": {
            "address": {
                k: address.get(k) or None
                for k in ("city", "country", "line1", "line2", "postal_code", "state")
            },
            "email": billing.get("email") or None,
            "name": billing.get("name") or None,
            "phone": billing.get("phone") or None,
            "tax_id": None,
        },
        "card": {
            "brand": brand,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": "pass",
            },
            "country": "US",
            "display_brand": brand,
            "exp_month": 12,
            "exp_year": 2034,
            "fingerprint": f"fp{name[:6]}{last4}",
            "funding": funding,
            "generated_from": None,
            "last4": last4,
            "networks": {"available": [brand], "preferred": None},
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
            "regulated_status": "unregulated",
        },
        "created": state.now(),
        "customer": None,
        "livemode": False,
        "metadata": merged_metadata({}, params.get("metadata")),
        "type": "card",
        "customer_account": None,
        "_behaviour": behaviour,
    }
    return state.add(pm)


def behaviour(pm: Obj) -> str:
    return str(pm.get("_behaviour", "succeed"))


def attach(state: State, pm: Obj, customer: Obj, *, emit: bool = True) -> Obj:
    if pm["customer"] == customer["id"]:
        return pm
    if pm["customer"] is not None or pm.get("_detached"):
        raise invalid_request(
            "This PaymentMethod was previously used without being attached to a Customer "
            "or was detached from a Customer, and may not be used again.",
            param="payment_method",
        )
    if behaviour(pm) == "decline_on_attach":
        raise card_error(
            "Your card was declined.", code="card_declined", decline_code="generic_decline"
        )
    pm["customer"] = customer["id"]
    if emit:
        state.emit("payment_method.attached", pm)
    return pm


def resolve(
    state: State, value: str, customer: Obj, param: str, *, created: dict[str, Obj] | None = None
) -> Obj:
    """A payment method of `customer` named by id, or a fresh card for a test token.

    `created` remembers the cards made for test tokens within one request, so that
    `payment_method=pm_card_visa` and `invoice_settings[default_payment_method]=pm_card_visa`
    on the same call name the same card.
    """
    name = card_name(value)
    if name is not None:
        if created is not None and value in created:
            return created[value]
        pm = attach(state, new_card(state, name), customer)
        if created is not None:
            created[value] = pm
        return pm
    pm = state.find(value)
    if pm is None or pm.get("object") != "payment_method" or pm["customer"] != customer["id"]:
        raise invalid_request(
            f"The customer does not have a payment method with the ID {value}. The payment "
            "method must be attached to the customer.",
            param=param,
        )
    return pm


def _lookup(state: State, value: str) -> Obj:
    name = card_name(value)
    return new_card(state, name) if name is not None else state.get("payment_method", value)


@router.post("/v1/payment_methods", sp.PaymentMethodCreateParams)
def create(state: State, params: Params) -> Obj:
    if params.get("type", "card") != "card":
        raise invalid_request("Only card payment methods are supported.", param="type")
    card = opt_dict(params, "card") or {}
    token = str(card.get("token") or params.get("payment_method") or "")
    name = card_name(token) or NUMBERS.get(str(card.get("number") or ""))
    if name is None:
        raise invalid_request(
            "Use a test token such as tok_visa or a test card number.", param="card"
        )
    return new_card(state, name, params)


@router.get("/v1/payment_methods/{pm_id}", sp.PaymentMethodRetrieveParams)
def retrieve(state: State, params: Params, pm_id: str) -> Obj:
    return _lookup(state, pm_id)


@router.post("/v1/payment_methods/{pm_id}", sp.PaymentMethodUpdateParams)
def update(state: State, params: Params, pm_id: str) -> Obj:
    pm = state.get("payment_method", pm_id)
    before = state.render(pm)
    pm["metadata"] = merged_metadata(pm["metadata"], params.get("metadata"))
    billing: dict[str, Any] = opt_dict(params, "billing_details") or {}
    for key in ("email", "name", "phone"):
        if key in billing:
            pm["billing_details"][key] = billing[key] or None
    state.emit_update("payment_method.updated", pm, before)
    return pm


@router.post("/v1/payment_methods/{pm_id}/attach", sp.PaymentMethodAttachParams)
def attach_route(state: State, params: Params, pm_id: str) -> Obj:
    customer = state.get("customer", required(params, "customer"), param="customer")
    return attach(state, _lookup(state, pm_id), customer)


@router.post("/v1/payment_methods/{pm_id}/detach", sp.PaymentMethodDetachParams)
def detach(state: State, params: Params, pm_id: str) -> Obj:
    pm = state.get("payment_method", pm_id)
    if pm["customer"] is None:
        raise invalid_request(
            f"The payment method {pm_id} is not attached to a customer.", param="payment_method"
        )
    customer = state.find(pm["customer"])
    pm["customer"] = None
    pm["_detached"] = True
    if customer is not None and customer["invoice_settings"]["default_payment_method"] == pm_id:
        before = state.render(customer)
        customer["invoice_settings"]["default_payment_method"] = None
        state.emit_update("customer.updated", customer, before)
    state.emit("payment_method.detached", pm, {"customer": customer["id"] if customer else None})
    return pm


def _list(state: State, params: Params, customer_id: str | None, url: str) -> Obj:
    found = [
        pm
        for pm in state.all("payment_method")
        if pm["customer"] is not None and (customer_id is None or pm["customer"] == customer_id)
    ]
    kind = opt_str(params, "type")
    if kind is not None:
        found = [pm for pm in found if pm["type"] == kind]
    return page(found, params, url)


@router.get("/v1/payment_methods", sp.PaymentMethodListParams)
def list_all(state: State, params: Params) -> Obj:
    customer = opt_str(params, "customer")
    if customer is not None:
        state.get("customer", customer, param="customer")
    return _list(state, params, customer, "/v1/payment_methods")


@router.get("/v1/customers/{customer_id}/payment_methods", sp.CustomerListPaymentMethodsParams)
def list_for_customer(state: State, params: Params, customer_id: str) -> Obj:
    state.get("customer", customer_id)
    return _list(state, params, customer_id, f"/v1/customers/{customer_id}/payment_methods")


@router.get(
    "/v1/customers/{customer_id}/payment_methods/{pm_id}",
    sp.CustomerRetrievePaymentMethodParams,
)
def retrieve_for_customer(state: State, params: Params, customer_id: str, pm_id: str) -> Obj:
    pm = state.get("payment_method", pm_id)
    if pm["customer"] != customer_id:
        raise invalid_request(
            f"No such PaymentMethod: '{pm_id}'", status=404, code="resource_missing"
        )
    return pm
