"""Checkout Sessions in subscription mode.

Nobody visits the session's `url` in a test, so completing or expiring a session is
a test control (`complete_session`, `expire_session`); completion does what Stripe
does when a customer pays: creates the customer if the session had none, attaches the
card, starts the subscription from the line items and `subscription_data` with its
first invoice paid, and marks the session complete.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import stripe.params as sp

from ..errors import invalid_request, parameter_error
from ..forms import (
    Params,
    merged_metadata,
    opt_bool,
    opt_dict,
    opt_int,
    opt_list,
    opt_str,
    required,
    to_int,
)
from ..listing import created_filter, page
from ..periods import DAY
from ..routing import router
from ..state import INCLUDABLE, Obj, State, random_token
from . import customers, cycles, discounts, payment_methods, payments, subscriptions, tax_rates
from .catalog import line_amount

# "For `subscription` mode, there is a maximum of 20 line items with recurring Prices"
# (the `line_items` parameter's description, stripe.params.checkout.SessionCreateParams).
MAX_RECURRING_LINE_ITEMS = 20


def _check_url(params: Params, name: str) -> None:
    """Stripe answers `url_invalid` ("Not a valid URL") unless it is an absolute http(s) URL."""
    value = opt_str(params, name)
    if value is None:
        return
    try:
        parts = urlsplit(value)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid or any(c.isspace() for c in value):
        raise parameter_error("Not a valid URL", param=name, code="url_invalid")


@router.post("/v1/checkout/sessions", sp.checkout.SessionCreateParams)
def create(state: State, params: Params) -> Obj:
    mode = required(params, "mode")
    if mode != "subscription":
        raise invalid_request(
            "Only mode=subscription is supported by the Stripe test server.", param="mode"
        )
    customer_id = opt_str(params, "customer")
    if customer_id is not None:
        customers.get_live(state, customer_id)
    for name in ("success_url", "cancel_url"):
        _check_url(params, name)
    raw_items = opt_list(params, "line_items") or []
    if not raw_items:
        raise invalid_request(
            "You must specify `line_items` when creating a session in `subscription` mode.",
            param="line_items",
        )
    # Every line item here has a recurring price (one-time ones are refused below), and
    # subscription mode takes at most 20 of those.
    if len(raw_items) > MAX_RECURRING_LINE_ITEMS:
        raise parameter_error(
            f"In `subscription` mode, a session can have at most {MAX_RECURRING_LINE_ITEMS} "
            f"line items with recurring prices; you passed {len(raw_items)}.",
            param="line_items",
            code="parameter_invalid",
        )
    items = []
    for index, entry in enumerate(raw_items):
        where = f"line_items[{index}]"
        for name in ("tax_rates", "dynamic_tax_rates"):
            if entry.get(name) not in (None, ""):
                raise invalid_request(
                    f"Per-line {name} are not supported by the Stripe test server; use "
                    "subscription_data[default_tax_rates].",
                    param=f"{where}[{name}]",
                )
        price = subscriptions.resolve_price(state, entry, where)
        items.append(
            {
                "price": price["id"],
                "quantity": to_int(entry.get("quantity", 1), f"{where}[quantity]"),
            }
        )
    prices = [state.objects[i["price"]] for i in items]
    cycles.check_compatible(prices)
    session_discounts = opt_list(params, "discounts")
    if session_discounts and opt_bool(params, "allow_promotion_codes"):
        raise invalid_request(
            "You may only specify one of these parameters: allow_promotion_codes, discounts.",
            param="discounts",
        )
    resolved = discounts.resolve(state, session_discounts, customer_id or "", "discounts")
    subscription_data = opt_dict(params, "subscription_data") or {}
    tax_rates.resolve(state, subscription_data, "default_tax_rates")
    has_trial = bool(
        subscription_data.get("trial_end") or subscription_data.get("trial_period_days")
    )
    subtotal = (
        0
        if has_trial
        else sum(line_amount(p, i["quantity"]) for p, i in zip(prices, items, strict=True))
    )
    now = state.now()
    session_id = f"cs_test_{random_token(58)}"
    tax_ids = opt_dict(params, "tax_id_collection") or {}
    phone = opt_dict(params, "phone_number_collection") or {}
    session: Obj = {
        "id": session_id,
        "object": "checkout.session",
        "after_expiration": None,
        "allow_promotion_codes": opt_bool(params, "allow_promotion_codes"),
        "amount_subtotal": subtotal,
        "amount_total": subtotal,
        "automatic_tax": {"enabled": False, "liability": None, "status": None, "provider": None},
        "billing_address_collection": opt_str(params, "billing_address_collection"),
        "cancel_url": opt_str(params, "cancel_url"),
        "client_reference_id": opt_str(params, "client_reference_id"),
        "client_secret": None,
        "consent": None,
        "consent_collection": None,
        "created": now,
        "currency": prices[0]["currency"],
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": customer_id,
        "customer_creation": None,
        "customer_details": None,
        "customer_email": opt_str(params, "customer_email"),
        "expires_at": opt_int(params, "expires_at") or now + DAY,
        "invoice": None,
        "invoice_creation": None,
        "livemode": False,
        "locale": opt_str(params, "locale"),
        "metadata": merged_metadata({}, params.get("metadata")),
        "mode": "subscription",
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": opt_str(params, "payment_method_collection") or "always",
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "phone_number_collection": {"enabled": phone.get("enabled") in ("true", True)},
        "recovered_from": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": None,
        "subscription": None,
        "success_url": opt_str(params, "success_url"),
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": opt_str(params, "ui_mode") or "hosted",
        "url": f"{state.base_url}/checkout/{session_id}",
        "adaptive_pricing": None,
        "discounts": [
            {"coupon": c["id"], "promotion_code": p["id"] if p else None} for c, p in resolved
        ]
        or None,
        "collected_information": None,
        "permissions": None,
        "wallet_options": None,
        "origin_context": None,
        "currency_conversion": None,
        "customer_account": None,
        "integration_identifier": None,
        "managed_payments": None,
        # Not in the example object but declared by the SDK's Session class (and
        # returned by Stripe): the service reads it back.
        "tax_id_collection": {
            "enabled": tax_ids.get("enabled") in ("true", True),
            "required": tax_ids.get("required") or "never",
        },
        "_line_items": items,
        "_subscription_data": subscription_data,
    }
    state.add(session)
    return session


def _line_items(state: State, session: Obj) -> Obj:
    data = []
    for entry in session["_line_items"]:
        price = state.objects[entry["price"]]
        amount = line_amount(price, entry["quantity"])
        data.append(
            {
                "id": f"li_{random_token(24)}",
                "object": "item",
                "adjustable_quantity": None,
                "amount_discount": 0,
                "amount_subtotal": amount,
                "amount_tax": 0,
                "amount_total": amount,
                "currency": price["currency"],
                "description": cycles.product_name(state, price),
                "metadata": {},
                "price": state.render(price),
                "quantity": entry["quantity"],
            }
        )
    return {
        "object": "list",
        "data": data,
        "has_more": False,
        "url": f"/v1/checkout/sessions/{session['id']}/line_items",
    }


INCLUDABLE[("checkout.session", "line_items")] = _line_items


@router.get("/v1/checkout/sessions/{session_id}", sp.checkout.SessionRetrieveParams)
def retrieve(state: State, params: Params, session_id: str) -> Obj:
    return state.get("checkout.session", session_id)


@router.get("/v1/checkout/sessions/{session_id}/line_items", sp.checkout.SessionListLineItemsParams)
def line_items(state: State, params: Params, session_id: str) -> Obj:
    return _line_items(state, state.get("checkout.session", session_id))


@router.get("/v1/checkout/sessions", sp.checkout.SessionListParams)
def list_sessions(state: State, params: Params) -> Obj:
    found = created_filter(state.all("checkout.session"), params)
    for field in ("customer", "subscription", "status"):
        value = opt_str(params, field)
        if value is not None:
            found = [s for s in found if s[field] == value]
    return page(found, params, "/v1/checkout/sessions")


@router.post("/v1/checkout/sessions/{session_id}/expire", sp.checkout.SessionExpireParams)
def expire(state: State, params: Params, session_id: str) -> Obj:
    return expire_session(state, state.get("checkout.session", session_id))


def _require_open(session: Obj) -> None:
    if session["status"] != "open":
        raise invalid_request(
            f"This Checkout Session is {session['status']}; only open sessions can be "
            "completed or expired.",
            param="session",
        )


def expire_session(state: State, session: Obj) -> Obj:
    _require_open(session)
    session["status"] = "expired"
    state.emit("checkout.session.expired", session)
    return session


def complete_session(
    state: State, session: Obj, *, card: str = "pm_card_visa", promotion_code: str | None = None
) -> Obj:
    """What Stripe does when the customer pays on the session's page."""
    _require_open(session)
    name = payment_methods.card_name(card)
    if name is None:
        raise invalid_request(f"Unknown test card {card}; use a token such as pm_card_visa.")
    if session["customer"] is None:
        customer = customers.create(state, {"email": session["customer_email"]})
    else:
        customer = customers.get_live(state, session["customer"])
    pm = payment_methods.attach(state, payment_methods.new_card(state, name), customer)
    data = session["_subscription_data"]
    params: Params = {
        "customer": customer["id"],
        "items": [dict(item) for item in session["_line_items"]],
        "default_payment_method": pm["id"],
        "metadata": data.get("metadata") or {},
    }
    for key in (
        "trial_end",
        "trial_period_days",
        "description",
        "billing_cycle_anchor",
        "default_tax_rates",
    ):
        if data.get(key) not in (None, ""):
            params[key] = data[key]
    if session["discounts"]:
        params["discounts"] = [
            {"promotion_code": d["promotion_code"]}
            if d["promotion_code"]
            else {"coupon": d["coupon"]}
            for d in session["discounts"]
        ]
    elif promotion_code is not None:
        if not session["allow_promotion_codes"]:
            raise invalid_request("This session does not allow promotion codes.")
        params["discounts"] = [{"promotion_code": promotion_code}]
    sub = subscriptions.start(state, params, outcome=payments.SUCCEED)
    invoice = state.get("invoice", sub["latest_invoice"])
    session.update(
        status="complete",
        payment_status="paid" if invoice["amount_paid"] > 0 else "no_payment_required",
        customer=customer["id"],
        subscription=sub["id"],
        invoice=invoice["id"],
        amount_subtotal=invoice["subtotal"],
        amount_total=invoice["total"],
        customer_details={
            "address": customers.address(customer["address"] or {"country": "US"}),
            "email": customer["email"],
            "name": customer["name"],
            "phone": customer["phone"],
            "tax_exempt": customer["tax_exempt"],
            "tax_ids": [],
            "business_name": None,
            "individual_name": None,
        },
    )
    session["total_details"]["amount_discount"] = sum(
        d["amount"] for d in invoice["total_discount_amounts"]
    )
    session["total_details"]["amount_tax"] = sum(t["amount"] for t in invoice["total_taxes"])
    state.emit("checkout.session.completed", session)
    return session
