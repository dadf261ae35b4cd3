"""Invoices: how they are built from line specs, finalized and paid.

The first invoice of a subscription, and one for a change invoiced at once, goes
draft -> open -> paid in one step with its payment attempt. A renewal is created as a
draft and finalized (then charged) an hour later, as Stripe does. A failed payment is
retried on the account's retry schedule (`retry_policy`: by default every three days,
four attempts in all) when the clock moves; when the last attempt fails the
subscription becomes `unpaid`, `canceled` or stays `past_due`, as the policy says. A
payment that needs authentication waits for the customer; one that is `processing`
(a bank debit) waits for the `settle_payment` control. The first invoice of a
subscription decides `incomplete` vs `active`; later ones move the subscription
between `active` and `past_due`.

Prorations follow flexible billing mode with `proration_discounts=included`: a
proration line's amount is already net of the discounts in force when it was made,
and its `discount_amounts` name those discounts with an amount of 0 (Stripe's
changelog 2025-09-30.clover, "itemize proration discount amounts"); such lines are
not `discountable`, so invoice-level discounts skip them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..errors import invalid_request
from ..periods import DAY
from ..state import INCLUDABLE, Obj, State
from . import discounts, payments, tax_rates

# Stripe finalizes a subscription's renewal invoice about an hour after creating it.
FINALIZE_AFTER = 3600
# The account's retry settings for failed subscription payments (Billing > Revenue
# recovery > Retries): days to wait after each failed attempt, then what becomes of
# the subscription ("past_due", "unpaid" or "canceled") and of the invoice ("open" or
# "uncollectible") once the last attempt has failed.
DEFAULT_RETRY_POLICY: dict[str, Any] = {
    "days": [3, 3, 3],
    "subscription_status": "past_due",
    "invoice_status": "open",
}
EXHAUSTED_SUBSCRIPTION = ("past_due", "unpaid", "canceled")
EXHAUSTED_INVOICE = ("open", "uncollectible")
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
    credit: bool = False
    # A proration's whole-period amount (what a fixed-amount coupon is prorated against).
    full: int = 0
    # Set once `amount` is net of these discounts (prorations); None until then.
    discounts: tuple[str, ...] | None = None


def money(amount: int, currency: str) -> str:
    symbol = _SYMBOLS.get(currency, currency.upper() + " ")
    if currency in _ZERO_DECIMAL:
        return f"{symbol}{amount}"
    return f"{symbol}{amount / 100:,.2f}"


def retry_policy(state: State) -> dict[str, Any]:
    policy = state.settings.get("retry_policy")
    return policy if isinstance(policy, dict) else DEFAULT_RETRY_POLICY


def net_proration(spec: LineSpec, pairs: list[tuple[str, Obj]]) -> LineSpec:
    """`spec` with its amount net of the discounts among `pairs` that apply to it."""
    if spec.discounts is not None:
        return spec
    product = spec.price["product"]
    applied = [
        (discount_id, coupon)
        for discount_id, coupon in pairs
        if not coupon.get("_applies_to") or product in coupon["_applies_to"]
    ]
    off = sum(discounts.proration_share(coupon, spec.amount, spec.full) for _, coupon in applied)
    if abs(off) > abs(spec.amount):
        off = spec.amount
    return replace(
        spec, amount=spec.amount - off, discounts=tuple(discount_id for discount_id, _ in applied)
    )


def _line(state: State, invoice_id: str, subscription_id: str | None, spec: LineSpec) -> Obj:
    price = spec.price
    netted = list(spec.discounts or ()) if spec.proration else []
    return {
        "id": state.new_id("il"),
        "object": "line_item",
        "amount": spec.amount,
        "currency": price["currency"],
        "description": spec.description,
        "discount_amounts": [{"amount": 0, "discount": d} for d in netted],
        # Stripe: "If true, discounts will apply to this line item. Always false for prorations."
        "discountable": not spec.proration,
        "discounts": netted,
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
    tax_rate_ids: list[str] | None = None,
) -> Obj:
    """A draft invoice, not yet stored; previews get an `upcoming_` id, as Stripe's do.

    Building stores nothing, so a caller may build one only to learn the amount due.
    Every line is taxed at `tax_rate_ids`, by default the subscription's
    `default_tax_rates` ("Invoices created will have their `default_tax_rates` populated
    from the subscription").
    """
    invoice_id = state.new_id("upcoming_in" if preview else "in")
    sub_id = subscription["id"] if subscription else None
    if tax_rate_ids is None:
        tax_rate_ids = list(subscription["_default_tax_rates"]) if subscription else []
    specs = [net_proration(s, discount_pairs) if s.proration else s for s in specs]
    lines = [_line(state, invoice_id, sub_id, spec) for spec in specs]
    total_discounts = discounts.apply(discount_pairs, lines)
    total_taxes = tax_rates.apply(state, lines, tax_rate_ids)
    subtotal = sum(line["amount"] for line in lines)
    excluding_tax = subtotal - sum(d["amount"] for d in total_discounts)
    total = excluding_tax + tax_rates.exclusive_total(total_taxes)
    inclusive = tax_rates.inclusive_total(total_taxes)
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
        "default_tax_rates": tax_rates.rendered(state, tax_rate_ids),
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
        "subtotal_excluding_tax": subtotal - inclusive,
        "test_clock": None,
        "total": total,
        "total_discount_amounts": total_discounts,
        "total_excluding_tax": excluding_tax - inclusive,
        "webhooks_delivered_at": None,
        "automatically_finalizes_at": None,
        "total_pretax_credit_amounts": [],
        "total_taxes": total_taxes,
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
    for line in invoice["lines"]["data"]:
        details = (line["parent"] or {}).get("subscription_item_details") or {}
        if line["amount"] > 0 and details.get("subscription_item"):
            note_debit(
                state,
                details["subscription_item"],
                line["amount"] - sum(d["amount"] for d in line["discount_amounts"]),
                (line["period"]["start"], line["period"]["end"]),
                [d["discount"] for d in line["discount_amounts"]],
            )
    state.emit("invoice.created", invoice)
    return invoice


def note_debit(
    state: State, item_id: str, amount: int, span: tuple[int, int], discount_ids: list[str]
) -> None:
    """Remember what an item was charged for `span`, net of discounts: flexible billing
    mode "calculates credit prorations based on the original amount previously debited
    to a customer" (Stripe docs, billing-mode/compare), so a later credit starts here."""
    item = state.find(item_id)
    if item is not None and item["object"] == "subscription_item":
        item["_debited"] = {
            "amount": amount,
            "start": span[0],
            "end": span[1],
            "discounts": list(discount_ids),
        }


def subscription_of(state: State, invoice: Obj) -> Obj | None:
    if not invoice["parent"]:
        return None
    return state.find(invoice["parent"]["subscription_details"]["subscription"] or "")


def _collects(state: State, invoice: Obj) -> bool:
    """Whether Stripe attempts this invoice's payment by itself: automatic collection
    left on (cancelling the subscription turns it off), and a subscription that is not
    `unpaid` (one keeps invoicing "but payments aren't attempted")."""
    if invoice["collection_method"] != "charge_automatically" or not invoice["auto_advance"]:
        return False
    sub = subscription_of(state, invoice)
    return sub is None or sub["status"] != "unpaid"


def schedule_finalization(state: State, invoice: Obj) -> None:
    """A renewal waits as a draft; the clock finalizes (and charges) it an hour later."""
    at = state.now() + FINALIZE_AFTER
    invoice["automatically_finalizes_at"] = at
    if invoice["collection_method"] == "charge_automatically":
        invoice["next_payment_attempt"] = at


def advance_draft(state: State, invoice: Obj) -> None:
    """Finalize a draft whose time has come, then attempt it if Stripe would."""
    sub = subscription_of(state, invoice)
    if sub is not None and sub["status"] in ("canceled", "incomplete_expired"):
        invoice["auto_advance"] = False  # nothing is collected once it has ended
    finalize(state, invoice)
    if invoice["status"] == "open" and _collects(state, invoice):
        collect(state, invoice)


def payment_method_for(state: State, invoice: Obj) -> Obj | None:
    customer = state.find(invoice["customer"]) or {}
    subscription = subscription_of(state, invoice)
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
        automatically_finalizes_at=None,
        next_payment_attempt=None,
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
    """One payment attempt on an open invoice, with the given outcome."""
    if invoice["status"] != "open" or invoice["_payment_intent"] is None:
        raise invalid_request(f"Invoice {invoice['id']} is {invoice['status']} and cannot be paid.")
    pi = state.get("payment_intent", invoice["_payment_intent"])
    if pi["status"] == "processing":
        raise invalid_request(
            "This invoice's payment is processing and cannot be attempted again.",
            code="payment_intent_unexpected_state",
        )
    invoice["attempt_count"] += 1
    invoice["attempted"] = True
    payments.record(state, pi, outcome, pm)
    conclude(state, invoice, outcome)


def conclude(state: State, invoice: Obj, outcome: str) -> None:
    """What an attempt's outcome (now known) does to the invoice and its subscription."""
    if outcome == payments.SUCCEED:
        mark_paid(state, invoice)
        return
    if outcome == payments.PROCESSING:
        # The money is on its way: nothing is due, nothing fails, until it settles.
        invoice["next_payment_attempt"] = None
        return
    policy = retry_policy(state)
    days: list[int] = list(policy["days"])
    retries = (
        outcome == payments.FAIL
        and invoice["billing_reason"] != "subscription_create"
        and _collects(state, invoice)
    )
    exhausted = retries and invoice["attempt_count"] > len(days)
    invoice["next_payment_attempt"] = (
        state.now() + days[invoice["attempt_count"] - 1] * DAY
        if retries and not exhausted
        else None
    )
    customer = state.get("customer", invoice["customer"])
    customer["delinquent"] = True
    if outcome == payments.REQUIRE_ACTION:
        state.emit("invoice.payment_action_required", invoice)
    else:
        state.emit("invoice.payment_failed", invoice)
    _update_subscription(state, invoice, paid=False)
    if exhausted:
        _retries_exhausted(state, invoice, policy)


def _retries_exhausted(state: State, invoice: Obj, policy: dict[str, Any]) -> None:
    """The last scheduled attempt failed: apply the account's end-of-retries settings."""
    sub = subscription_of(state, invoice)
    if sub is not None and sub["status"] in ("active", "past_due", "trialing"):
        then = policy["subscription_status"]
        if then == "unpaid":
            before = state.render(sub)
            sub["status"] = "unpaid"
            state.emit_update("customer.subscription.updated", sub, before)
        elif then == "canceled":
            from .subscriptions import end_subscription

            end_subscription(state, sub, reason="payment_failed")
    if policy["invoice_status"] == "uncollectible" and invoice["status"] == "open":
        mark_uncollectible(state, invoice)


def mark_uncollectible(state: State, invoice: Obj) -> Obj:
    if invoice["status"] != "open":
        raise invalid_request("You can only mark open invoices as uncollectible.")
    invoice.update(status="uncollectible", next_payment_attempt=None)
    invoice["status_transitions"]["marked_uncollectible_at"] = state.now()
    state.emit("invoice.marked_uncollectible", invoice)
    return invoice


def stop_collection(state: State, customer_id: str) -> None:
    """Stop automatic collection of the customer's finalized invoices: what cancelling a
    subscription does by default ("Stripe stops automatic collection of all finalized
    invoices for the customer", API reference, Cancel a subscription). They stay open;
    setting `auto_advance` again resumes it."""
    for invoice in state.all("invoice"):
        if (
            invoice["customer"] == customer_id
            and invoice["status"] == "open"
            and invoice["collection_method"] == "charge_automatically"
            and invoice["auto_advance"]
        ):
            before = state.render(invoice)
            invoice.update(auto_advance=False, next_payment_attempt=None)
            state.emit_update("invoice.updated", invoice, before)


def resume_collection(state: State, invoice: Obj) -> None:
    """`auto_advance` turned back on: an open invoice with attempts left is retried
    at the next tick of the clock; a draft is finalized on its schedule."""
    if invoice["status"] == "draft" and invoice["automatically_finalizes_at"] is None:
        schedule_finalization(state, invoice)
        return
    if invoice["status"] != "open" or not _collects(state, invoice):
        return
    pi = state.find(invoice["_payment_intent"] or "")
    if pi is None or pi["status"] in ("processing", "requires_action", "succeeded"):
        return
    if invoice["attempt_count"] <= len(retry_policy(state)["days"]):
        invoice["next_payment_attempt"] = state.now()


def settle_processing(state: State, pi: Obj, outcome: str) -> None:
    """A `processing` payment (a bank debit) clears or is returned."""
    if pi["status"] != "processing":
        raise invalid_request(
            f"PaymentIntent {pi['id']} is {pi['status']}, not processing.",
            code="payment_intent_unexpected_state",
        )
    if outcome not in (payments.SUCCEED, payments.FAIL):
        raise invalid_request("outcome must be one of succeed, fail", param="outcome")
    invoice = state.get("invoice", pi["_invoice"])
    payments.record(state, pi, outcome, state.find(pi["payment_method"] or ""))
    conclude(state, invoice, outcome)


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
    sub = subscription_of(state, invoice)
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
