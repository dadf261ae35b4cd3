"""Invoice previews (`POST /v1/invoices/create_preview`).

For an existing subscription the preview is the invoice the change would produce:
with `always_invoice`, or a new interval, the one invoiced at once; otherwise the next
renewal, carrying the prorations (at `subscription_details[proration_date]`) and any
still pending. Without a subscription it is the first invoice of a new one.
"""

from __future__ import annotations

from typing import Any

import stripe.params as sp

from ..errors import invalid_request
from ..forms import Params, one_of, opt_bool, opt_dict, opt_int, opt_list, opt_str, required, to_int
from ..periods import DAY, shift
from ..routing import router
from ..state import Obj, State
from . import changes, customers, cycles, discounts, invoices, tax_rates
from .invoices import LineSpec
from .subscriptions import ENDED, PRORATION_BEHAVIORS, resolve_price


def _no_upcoming(customer_id: str) -> Exception:
    return invalid_request(
        f"No upcoming invoices for customer: {customer_id}",
        code="invoice_upcoming_none",
        status=404,
    )


def _anchor_now(details: Params) -> bool:
    anchor: Any = details.get("billing_cycle_anchor")
    return anchor == "now" or (isinstance(anchor, dict) and anchor.get("type") == "now")


def _for_subscription(state: State, sub: Obj, details: Params) -> Obj:
    customer = state.get("customer", sub["customer"])
    if sub["status"] in ENDED:
        raise _no_upcoming(customer["id"])
    now = state.now()
    raw_items = opt_list(details, "items")
    prorations = one_of(details, "proration_behavior", PRORATION_BEHAVIORS, "create_prorations")
    at = opt_int(details, "proration_date") or now
    plans = (
        changes.planned_items(state, sub, raw_items)
        if raw_items
        else changes.current_plan(state, sub)
    )
    restart = bool(raw_items and changes.interval_changes(sub, state, plans))
    restart = restart or _anchor_now(details)
    prorated: list[LineSpec] = []
    if raw_items and sub["status"] != "trialing" and prorations != "none":
        prorated = changes.proration_lines(state, sub, plans, at, credits_only=restart)
    pending = list(sub["_pending"])
    span = cycles.period(state, sub)
    if restart:
        _, full = changes.restart_lines(state, sub, plans, now)
        specs, reason = pending + prorated + full, "subscription_update"
    elif prorations == "always_invoice" and prorated:
        specs, reason = pending + prorated, "subscription_update"
    else:
        cancels = details.get("cancel_at_period_end")
        ending = (
            opt_bool(details, "cancel_at_period_end")
            if cancels is not None
            else sub["cancel_at_period_end"]
        )
        if ending or details.get("cancel_now") in ("true", True):
            raise _no_upcoming(customer["id"])
        live = [p for p in plans if not p.deleted]
        start, end = cycles.next_period(sub, live[0].price, span[1])
        full = [cycles.full_line(state, p.price, p.quantity, p.item_id, start, end) for p in live]
        specs, reason = pending + prorated + full, "subscription_cycle"
    return invoices.build(
        state,
        customer,
        subscription=sub,
        specs=specs,
        billing_reason=reason,
        period=span,
        currency=sub["currency"],
        discount_pairs=discounts.in_force(state, sub["discounts"], now),
        preview=True,
        proration_date=at if prorated else None,
        tax_rate_ids=tax_rates.resolve(state, details, "default_tax_rates"),
    )


def _for_new_subscription(state: State, params: Params, details: Params) -> Obj:
    customer = customers.get_live(state, required(params, "customer"))
    raw_items = opt_list(details, "items")
    if not raw_items:
        raise invalid_request(
            "Missing required param: subscription_details[items].",
            param="subscription_details[items]",
        )
    entries = []
    for index, entry in enumerate(raw_items):
        where = f"subscription_details[items][{index}]"
        quantity = to_int(entry.get("quantity", 1), f"{where}[quantity]")
        entries.append((resolve_price(state, entry, where), quantity))
    cycles.check_compatible([price for price, _ in entries])
    now = state.now()
    interval, count = cycles.interval_of(entries[0][0])
    trial_value = details.get("trial_end")
    trial_end = to_int(trial_value, "trial_end") if trial_value not in (None, "", "now") else None
    if trial_end is None and opt_int(details, "trial_period_days"):
        trial_end = now + to_int(details["trial_period_days"], "trial_period_days") * DAY
    if trial_end is not None:
        specs = [cycles.trial_line(state, p, q, None, now, trial_end) for p, q in entries]
    else:
        end = shift(now, interval, count, 1)
        specs = [cycles.full_line(state, p, q, None, now, end) for p, q in entries]
    resolved = discounts.resolve(state, params.get("discounts"), customer["id"], "discounts")
    return invoices.build(
        state,
        customer,
        subscription=None,
        specs=specs,
        billing_reason="subscription_create",
        period=(now, now),
        currency=entries[0][0]["currency"],
        discount_pairs=[(f"di_{i}", coupon) for i, (coupon, _) in enumerate(resolved)],
        preview=True,
        tax_rate_ids=tax_rates.resolve(state, details, "default_tax_rates") or [],
    )


@router.post("/v1/invoices/create_preview", sp.InvoiceCreatePreviewParams)
def create_preview(state: State, params: Params) -> Obj:
    details = opt_dict(params, "subscription_details") or {}
    sub_id = opt_str(params, "subscription")
    if sub_id is None:
        return _for_new_subscription(state, params, details)
    sub = state.get("subscription", sub_id, param="subscription")
    customer_id = opt_str(params, "customer")
    if customer_id is not None and customer_id != sub["customer"]:
        raise invalid_request(
            "The subscription does not belong to this customer.", param="subscription"
        )
    return _for_subscription(state, sub, details)
