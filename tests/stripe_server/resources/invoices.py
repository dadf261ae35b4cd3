"""Invoices: how they are built from line specs, finalized and paid.

A subscription invoice goes draft -> open -> paid in one step, with its payment
attempt at once (Stripe waits about an hour before finalizing a renewal; tests would
only wait for nothing). A failed renewal is retried every three days, up to four
attempts in all, when the clock moves; a payment that needs authentication waits for
the customer. The first invoice of a subscription decides `incomplete` vs `active`;
later ones move the subscription between `active` and `past_due`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import invalid_request
from ..periods import DAY
from ..state import INCLUDABLE, Obj, State
from . import discounts, payments

MAX_ATTEMPTS = 4
RETRY_AFTER = 3 * DAY
_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "cad": "CA$", "aud": "A$", "jpy": "¥"}
_ZERO_DECIMAL = {"jpy", "krw", "vnd", "clp", "isk", "ugx", "xaf", "xof"}


@dataclass(frozen=True)
class LineSpec:
    price: Obj
    quantity: int
    amount: int
    start: int
    end: int
    description: str
    item: str | None
    proration: bool = False
    invoice_item: str | None = None


def money(amount: int, currency: str) -> str:
    symbol = _SYMBOLS.get(currency, currency.upper() + " ")
    if currency in _ZERO_DECIMAL:
        return f"{symbol}{amount}"
    return f"{symbol}{amount / 100:,.2f}"


def _line(state: State, invoice_id: str, subscription_id: str | None, spec: LineSpec) -> Obj:
    price = spec.price
    return {
        "id": state.new_id("il"),
        "object": "line_item",
        "amount": spec.amount,
        "currency": price["currency"],
        "description": spec.description,
        "discount_amounts": [],
        "discountable": True,
        "discounts": [],
        "invoice": invoice_id,
        "livemode": False,
        "metadata": {},
        "period": {"end": spec.end, "start": spec.start},
        "quantity": spec.quantity,
        "subscription": subscription_id,
        "pretax_credit_amounts": [],
        "taxes": [],
        "parent": {
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": spec.invoice_item,
                "proration": spec.proration,
                "proration_details": {"credited_items": None},
                "subscription": subscription_id,
                "subscription_item": spec.item,
            },
            "type": "subscription_item_details",
        },
        "pricing": {
            "price_details": {"price": price["id"], "product": price["product"]},
            "type": "price_details",
            "unit_amount_decimal": price["unit_amount_decimal"],
        },
        "subtotal": spec.amount,
        "quantity_decimal": str(spec.quantity),
    }


def build(
    state: State,
    customer: Obj,
    *,
    subscription: Obj | None,
    specs: list[LineSpec],
    billing_reason: str,
    period: tuple[int, int],
    currency: str,
    discount_pairs: list[tuple[str, Obj]],
    preview: bool = False,
    proration_date: int | None = None,
) -> Obj:
    """A draft invoice, not yet stored; previews get an `upcoming_` id, as Stripe's do.

    Building stores nothing, so a caller may build one only to learn the amount due.
    """
    invoice_id = state.new_id("upcoming_in" if preview else "in")
    sub_id = subscription["id"] if subscription else None
    lines = [_line(state, invoice_id, sub_id, spec) for spec in specs]
    total_discounts = discounts.apply(discount_pairs, lines)
    subtotal = sum(line["amount"] for line in lines)
    total = subtotal - sum(d["amount"] for d in total_discounts)
    applied = total + customer["balance"]
    collection = subscription["collection_method"] if subscription else "charge_automatically"
    return {
        "id": invoice_id,
        "object": "invoice",
        "account_country": "US",
        "account_name": "Stripe test server",
        "account_tax_ids": None,
        "amount_due": max(applied, 0),
        "amount_paid": 0,
        "amount_remaining": max(applied, 0),
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": not preview,
        "automatic_tax": {
            "enabled": False,
            "liability": None,
            "status": None,
            "disabled_reason": None,
            "provider": None,
        },
        "billing_reason": billing_reason,
        "collection_method": collection,
        "created": state.now(),
        "currency": currency,
        "custom_fields": None,
        "customer": customer["id"],
        "customer_address": customer["address"],
        "customer_email": customer["email"],
        "customer_name": customer["name"],
        "customer_phone": customer["phone"],
        "customer_shipping": customer["shipping"],
        "customer_tax_exempt": customer["tax_exempt"],
        "customer_tax_ids": [
            {"type": t["type"], "value": t["value"]}
            for t in state.all("tax_id")
            if t["customer"] == customer["id"]
        ],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [d["discount"] for d in total_discounts],
        "due_date": None,
        "effective_at": None,
        "ending_balance": None,
        "footer": customer["invoice_settings"]["footer"],
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": {
            "object": "list",
            "data": lines,
            "has_more": False,
            "url": f"/v1/invoices/{invoice_id}/lines",
        },
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None,
        "number": None,
        "on_behalf_of": None,
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": period[1],
        "period_start": period[0],
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": customer["balance"],
        "statement_descriptor": None,
        "status": "draft",
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subtotal": subtotal,
        "subtotal_excluding_tax": subtotal,
        "test_clock": None,
        "total": total,
        "total_discount_amounts": total_discounts,
        "total_excluding_tax": total,
        "webhooks_delivered_at": None,
        "automatically_finalizes_at": None,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "amount_overpaid": 0,
        "parent": {
            "quote_details": None,
            "subscription_details": {
                "metadata": dict(subscription["metadata"]),
                "subscription": sub_id,
                "subscription_proration_date": proration_date,
            },
            "type": "subscription_details",
        }
        if subscription
        else None,
        "customer_account": None,
        "_ending_balance": min(applied, 0),
        "_payment_intent": None,
    }


def create(state: State, invoice: Obj) -> Obj:
    state.add(invoice)
    state.emit("invoice.created", invoice)
    return invoice


def payment_method_for(state: State, invoice: Obj) -> Obj | None:
    customer = state.find(invoice["customer"]) or {}
    subscription = None
    if invoice["parent"]:
        subscription = state.find(invoice["parent"]["subscription_details"]["subscription"])
    for candidate in (
        invoice["default_payment_method"],
        subscription["default_payment_method"] if subscription else None,
        (customer.get("invoice_settings") or {}).get("default_payment_method"),
    ):
        if candidate:
            pm = state.find(candidate)
            if pm is not None and pm["customer"] == invoice["customer"]:
                return pm
    return None


def finalize(state: State, invoice: Obj) -> Obj:
    if invoice["status"] != "draft":
        raise invalid_request(
            "This invoice is already finalized, you can't re-finalize a non-draft invoice."
        )
    customer = state.get("customer", invoice["customer"])
    now = state.now()
    invoice["number"] = f"{customer['invoice_prefix']}-{customer['next_invoice_sequence']:04d}"
    customer["next_invoice_sequence"] += 1
    customer["balance"] = invoice["_ending_balance"]
    invoice.update(
        status="open",
        effective_at=now,
        ending_balance=invoice["_ending_balance"],
        hosted_invoice_url=f"{state.base_url}/i/{invoice['id']}",
        invoice_pdf=f"{state.base_url}/i/{invoice['id']}/pdf",
    )
    invoice["status_transitions"]["finalized_at"] = now
    if invoice["collection_method"] == "send_invoice":
        invoice["due_date"] = now + 30 * DAY
    if invoice["amount_due"] > 0:
        pm = payment_method_for(state, invoice)
        description = {
            "subscription_create": "Subscription creation",
            "subscription_cycle": "Subscription update",
            "subscription_update": "Subscription update",
        }.get(invoice["billing_reason"], "Payment for Invoice")
        pi = payments.new_payment_intent(state, invoice, pm["id"] if pm else None, description)
        invoice["_payment_intent"] = pi["id"]
    state.emit("invoice.finalized", invoice)
    if invoice["amount_due"] == 0:
        mark_paid(state, invoice)
    return invoice


def collect(state: State, invoice: Obj, outcome: str | None = None) -> str:
    """Attempt the invoice's payment with its default payment method."""
    pm = payment_method_for(state, invoice)
    chosen = outcome or payments.take_outcome(state, pm)
    settle(state, invoice, chosen, pm)
    return chosen


def settle(state: State, invoice: Obj, outcome: str, pm: Obj | None) -> None:
    if invoice["status"] != "open" or invoice["_payment_intent"] is None:
        raise invalid_request(f"Invoice {invoice['id']} is {invoice['status']} and cannot be paid.")
    pi = state.get("payment_intent", invoice["_payment_intent"])
    invoice["attempt_count"] += 1
    invoice["attempted"] = True
    payments.record(state, pi, outcome, pm)
    if outcome == payments.SUCCEED:
        mark_paid(state, invoice)
        return
    retry = (
        outcome == payments.FAIL
        and invoice["billing_reason"] != "subscription_create"
        and invoice["attempt_count"] < MAX_ATTEMPTS
    )
    invoice["next_payment_attempt"] = state.now() + RETRY_AFTER if retry else None
    customer = state.get("customer", invoice["customer"])
    customer["delinquent"] = True
    if outcome == payments.REQUIRE_ACTION:
        state.emit("invoice.payment_action_required", invoice)
    else:
        state.emit("invoice.payment_failed", invoice)
    _update_subscription(state, invoice, paid=False)


def mark_paid(state: State, invoice: Obj, *, out_of_band: bool = False) -> None:
    now = state.now()
    invoice.update(
        status="paid",
        amount_paid=0 if out_of_band else invoice["amount_due"],
        amount_remaining=0,
        next_payment_attempt=None,
        auto_advance=False,
    )
    invoice["status_transitions"]["paid_at"] = now
    discounts.mark_used(state, invoice["discounts"])
    customer = state.get("customer", invoice["customer"])
    customer["delinquent"] = any(
        other["status"] == "open" and other["attempt_count"] > 0 and other["id"] != invoice["id"]
        for other in state.all("invoice")
        if other["customer"] == customer["id"]
    )
    state.emit("invoice.paid", invoice)
    if invoice["amount_due"] > 0 and not out_of_band:
        state.emit("invoice.payment_succeeded", invoice)
    _update_subscription(state, invoice, paid=True)


def _update_subscription(state: State, invoice: Obj, *, paid: bool) -> None:
    if not invoice["parent"]:
        return
    sub = state.find(invoice["parent"]["subscription_details"]["subscription"] or "")
    if sub is None or sub["latest_invoice"] != invoice["id"]:
        return
    before = state.render(sub)
    if paid and sub["status"] in ("incomplete", "past_due", "unpaid"):
        sub["status"] = "active"
    elif (
        not paid
        and sub["status"] in ("active", "trialing")
        and invoice["billing_reason"] != "subscription_create"
    ):
        sub["status"] = "past_due"
    state.emit_update("customer.subscription.updated", sub, before)


def void(state: State, invoice: Obj) -> Obj:
    if invoice["status"] not in ("open", "uncollectible"):
        raise invalid_request("You can only pass in open or uncollectible invoices.")
    invoice.update(status="void", amount_remaining=0, next_payment_attempt=None, auto_advance=False)
    invoice["status_transitions"]["voided_at"] = state.now()
    if invoice["_payment_intent"]:
        pi = state.get("payment_intent", invoice["_payment_intent"])
        if pi["status"] != "succeeded":
            payments.cancel(state, pi, "void_invoice")
    state.emit("invoice.voided", invoice)
    return invoice


def _confirmation_secret(state: State, invoice: Obj) -> Obj | None:
    pi = state.find(invoice.get("_payment_intent") or "")
    if pi is None:
        return None
    return {"client_secret": pi["client_secret"], "type": "payment_intent"}


def _payments(state: State, invoice: Obj) -> Obj:
    found = [state.render(p) for p in state.all("invoice_payment") if p["invoice"] == invoice["id"]]
    return {
        "object": "list",
        "data": list(reversed(found)),
        "has_more": False,
        "url": f"/v1/invoice_payments?invoice={invoice['id']}",
    }


INCLUDABLE[("invoice", "confirmation_secret")] = _confirmation_secret
INCLUDABLE[("invoice", "payments")] = _payments
