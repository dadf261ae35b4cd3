"""Payment intents behind invoices, invoice payments, and the outcome of each attempt.

An attempt's outcome is, in order: the next outcome queued by the `next_payment` test
control, else the card's own test behaviour, else success. Without a payment method
there is nothing to charge and the attempt fails. A `processing` outcome leaves the
payment intent `processing` (as a bank debit is until it clears), its invoice open,
until the `settle_payment` control makes it succeed or fail.
"""

from __future__ import annotations

import stripe.params as sp

from ..errors import card_error, invalid_request
from ..forms import Params, opt_str
from ..listing import page
from ..routing import router
from ..state import Obj, State, plain, random_token
from . import payment_methods

SUCCEED, FAIL, REQUIRE_ACTION = "succeed", "fail", "require_action"
PROCESSING = "processing"
OUTCOMES = (SUCCEED, FAIL, REQUIRE_ACTION, PROCESSING)

DECLINED = {
    "type": "card_error",
    "code": "card_declined",
    "decline_code": "generic_decline",
    "message": "Your card was declined.",
}
AUTHENTICATION_REQUIRED = {
    "type": "card_error",
    "code": "authentication_required",
    "decline_code": "authentication_required",
    "message": "Your card was declined. This transaction requires authentication.",
}


def take_outcome(state: State, pm: Obj | None) -> str:
    if pm is None:
        return FAIL
    if state.payment_outcomes:
        return state.payment_outcomes.popleft()
    card = payment_methods.behaviour(pm)
    return card if card in (FAIL, REQUIRE_ACTION) else SUCCEED


def new_payment_intent(state: State, invoice: Obj, pm_id: str | None, description: str) -> Obj:
    pi_id = state.new_id("pi")
    pi: Obj = {
        "id": pi_id,
        "object": "payment_intent",
        "amount": invoice["amount_due"],
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic",
        "client_secret": f"{pi_id}_secret_{random_token(25)}",
        "confirmation_method": "automatic",
        "created": state.now(),
        "currency": invoice["currency"],
        "customer": invoice["customer"],
        "description": description,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": {},
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": pm_id,
        "payment_method_configuration_details": None,
        "payment_method_options": {
            "card": {
                "installments": None,
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": None,
        "review": None,
        "setup_future_usage": "off_session",
        "shipping": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "requires_confirmation" if pm_id else "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
        "source": None,
        "excluded_payment_method_types": None,
        "customer_account": None,
        "managed_payments": None,
        "_invoice": invoice["id"],
    }
    state.add(pi)
    payment: Obj = {
        "id": state.new_id("inpay"),
        "object": "invoice_payment",
        "amount_paid": None,
        "amount_requested": invoice["amount_due"],
        "created": state.now(),
        "currency": invoice["currency"],
        "invoice": invoice["id"],
        "is_default": True,
        "livemode": False,
        "payment": {"type": "payment_intent", "payment_intent": pi_id},
        "status": "open",
        "status_transitions": {"canceled_at": None, "paid_at": None},
    }
    state.add(payment)
    pi["_invoice_payment"] = payment["id"]
    state.emit("payment_intent.created", pi)
    return pi


def invoice_payment(state: State, pi: Obj) -> Obj | None:
    return state.find(pi.get("_invoice_payment") or "")


def record(state: State, pi: Obj, outcome: str, pm: Obj | None) -> None:
    """Apply an attempt's outcome to the payment intent and emit its event."""
    pi["payment_method"] = pm["id"] if pm else pi["payment_method"]
    if outcome == SUCCEED:
        pi.update(
            status="succeeded",
            amount_received=pi["amount"],
            latest_charge=state.new_id("ch"),
            last_payment_error=None,
            next_action=None,
        )
        payment = invoice_payment(state, pi)
        if payment is not None:
            payment.update(status="paid", amount_paid=pi["amount"])
            payment["status_transitions"]["paid_at"] = state.now()
        state.emit("payment_intent.succeeded", pi)
    elif outcome == REQUIRE_ACTION:
        pi.update(
            status="requires_action",
            last_payment_error=_error(AUTHENTICATION_REQUIRED, pm),
            next_action={
                "type": "use_stripe_sdk",
                "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": ""},
            },
        )
        state.emit("payment_intent.requires_action", pi)
    elif outcome == PROCESSING:
        pi.update(status="processing", last_payment_error=None, next_action=None)
        state.emit("payment_intent.processing", pi)
    else:
        pi.update(
            status="requires_payment_method",
            last_payment_error=_error(DECLINED, pm) if pm else None,
            next_action=None,
        )
        state.emit("payment_intent.payment_failed", pi)


def cancel(state: State, pi: Obj, reason: str) -> None:
    pi.update(status="canceled", canceled_at=state.now(), cancellation_reason=reason)
    payment = invoice_payment(state, pi)
    if payment is not None:
        payment["status"] = "canceled"
        payment["status_transitions"]["canceled_at"] = state.now()
    state.emit("payment_intent.canceled", pi)


def _error(template: dict[str, str], pm: Obj | None) -> Obj:
    error: Obj = dict(template)
    error["payment_method"] = plain(pm) if pm else None
    return error


def raise_for(outcome: str, pi: Obj) -> None:
    """The 402 a synchronous payment call answers when the attempt did not succeed."""
    if outcome == REQUIRE_ACTION:
        raise card_error(
            "This payment requires additional user action before it can be completed "
            "successfully. Payment can be completed using the PaymentIntent associated "
            "with the invoice.",
            code="invoice_payment_intent_requires_action",
            decline_code=None,
            extra={"payment_intent": {"id": pi["id"], "status": pi["status"]}},
        )
    if outcome not in (SUCCEED, PROCESSING):
        raise card_error(
            DECLINED["message"],
            code="card_declined",
            decline_code="generic_decline",
            extra={"payment_intent": {"id": pi["id"], "status": pi["status"]}},
        )


@router.get("/v1/payment_intents/{pi_id}", sp.PaymentIntentRetrieveParams)
def retrieve(state: State, params: Params, pi_id: str) -> Obj:
    return state.get("payment_intent", pi_id)


@router.get("/v1/payment_intents", sp.PaymentIntentListParams)
def list_payment_intents(state: State, params: Params) -> Obj:
    found = state.all("payment_intent")
    customer = opt_str(params, "customer")
    if customer is not None:
        found = [pi for pi in found if pi["customer"] == customer]
    return page(found, params, "/v1/payment_intents")


@router.post("/v1/payment_intents/{pi_id}/confirm", sp.PaymentIntentConfirmParams)
def confirm(state: State, params: Params, pi_id: str) -> Obj:
    from .invoices import settle

    pi = state.get("payment_intent", pi_id)
    if pi["status"] in ("succeeded", "canceled", "processing"):
        raise invalid_request(
            f"You cannot confirm this PaymentIntent because it has a status of {pi['status']}.",
            code="payment_intent_unexpected_state",
        )
    invoice = state.get("invoice", pi["_invoice"])
    customer = state.get("customer", invoice["customer"])
    pm_value = opt_str(params, "payment_method")
    pm = (
        payment_methods.resolve(state, pm_value, customer, "payment_method")
        if pm_value
        else state.find(pi["payment_method"] or "")
    )
    if pm is None:
        raise invalid_request(
            "You cannot confirm this PaymentIntent because it's missing a payment method.",
            code="payment_intent_unexpected_state",
        )
    outcome = take_outcome(state, pm)
    settle(state, invoice, outcome, pm)
    raise_for(outcome, pi)
    return pi


@router.get("/v1/invoice_payments", sp.InvoicePaymentListParams)
def list_invoice_payments(state: State, params: Params) -> Obj:
    found = state.all("invoice_payment")
    invoice = opt_str(params, "invoice")
    if invoice is not None:
        found = [p for p in found if p["invoice"] == invoice]
    return page(found, params, "/v1/invoice_payments")


@router.get("/v1/invoice_payments/{payment_id}", sp.InvoicePaymentRetrieveParams)
def retrieve_invoice_payment(state: State, params: Params, payment_id: str) -> Obj:
    return state.get("invoice_payment", payment_id)
