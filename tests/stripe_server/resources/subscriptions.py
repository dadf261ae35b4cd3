"""Subscriptions: creation with their first invoice, retrieval, lists and cancellation.

The first invoice follows `payment_behavior` as Stripe does: `allow_incomplete`
(the default) and `error_if_incomplete` charge the default payment method at once
(subscription's, else customer's; none is a 400), the latter answering a failed charge
with a 402 and creating nothing; `default_incomplete` never charges, leaving the
subscription `incomplete` with an open invoice whose payment intent the caller
confirms. Nothing needs paying during a trial or for a zero total.
"""

from __future__ import annotations

from typing import Any

import stripe.params as sp

from ..errors import invalid_request, missing_param
from ..forms import (
    Params,
    merged_metadata,
    one_of,
    opt_bool,
    opt_dict,
    opt_int,
    opt_list,
    opt_str,
    required,
    to_int,
)
from ..listing import created_filter, page, search
from ..periods import DAY
from ..routing import router
from ..state import RENDERERS, Obj, State, plain
from . import customers, cycles, discounts, invoices, payment_methods, tax_rates
from .catalog import new_price, plan_of
from .invoices import LineSpec

PAYMENT_BEHAVIORS = cycles.PAYMENT_BEHAVIORS
PRORATION_BEHAVIORS = cycles.PRORATION_BEHAVIORS
TRIAL_WARNING = 3 * DAY
ENDED = ("canceled", "incomplete_expired")


def _render_item(state: State, item: Obj) -> Obj:
    out = plain(item)
    price = state.objects[item["price"]]
    out["price"] = state.render(price)
    out["plan"] = plan_of(price)
    return out


def _render_subscription(state: State, sub: Obj) -> Obj:
    out = plain(sub)
    out["items"] = {
        "object": "list",
        "data": [_render_item(state, item) for item in cycles.items_of(state, sub)],
        "has_more": False,
        "url": f"/v1/subscription_items?subscription={sub['id']}",
    }
    out["default_tax_rates"] = tax_rates.rendered(state, sub["_default_tax_rates"])
    return out


RENDERERS["subscription"] = _render_subscription
RENDERERS["subscription_item"] = _render_item


def resolve_price(state: State, entry: Params, where: str) -> Obj:
    price_data = opt_dict(entry, "price_data")
    if price_data is not None:
        product = state.get(
            "product", price_data.get("product"), param=f"{where}[price_data][product]"
        )
        price = new_price(state, price_data, product_id=product["id"])
    else:
        price = state.get("price", entry.get("price"), param=f"{where}[price]")
    if price["type"] != "recurring":
        raise invalid_request(
            "The price specified is set to `type=one_time` but this field only accepts "
            "prices with `type=recurring`.",
            param=f"{where}[price]",
        )
    if not price["active"]:
        raise invalid_request(
            "The price specified is inactive. This field only accepts active prices.",
            param=f"{where}[price]",
        )
    return price


def new_item(
    state: State, sub_id: str, item_id: str, price: Obj, quantity: int, metadata: Any
) -> Obj:
    return state.add(
        {
            "id": item_id,
            "object": "subscription_item",
            "billing_thresholds": None,
            "created": state.now(),
            "current_period_end": 0,
            "current_period_start": 0,
            "discounts": [],
            "metadata": merged_metadata({}, metadata),
            "plan": None,
            "price": price["id"],
            "quantity": quantity,
            "subscription": sub_id,
            "tax_rates": [],
        }
    )


def start(state: State, params: Params, *, outcome: str | None = None) -> Obj:
    """Create a subscription and its first invoice; `outcome` forces the first payment's."""
    cycles.refuse_unsupported(params)
    customer = customers.get_live(state, required(params, "customer"))
    raw_items = opt_list(params, "items") or []
    if not raw_items:
        raise missing_param("items")
    entries: list[tuple[str, Obj, int]] = []
    metadata: list[Any] = []
    for index, entry in enumerate(raw_items):
        where = f"items[{index}]"
        price = resolve_price(state, entry, where)
        quantity = to_int(entry.get("quantity", 1), f"{where}[quantity]")
        entries.append((state.new_id("si", 14), price, quantity))
        metadata.append(entry.get("metadata"))
    cycles.check_compatible([price for _, price, _ in entries])
    currency = entries[0][1]["currency"]
    if customer["currency"] not in (None, currency):
        raise invalid_request(
            "You cannot combine currencies on a single customer. This customer has an "
            f"active subscription, subscription schedule, discount, quote, or invoice item "
            f"with currency {customer['currency']}.",
            param="currency",
        )
    pm_value = opt_str(params, "default_payment_method")
    pm = (
        payment_methods.resolve(state, pm_value, customer, "default_payment_method")
        if pm_value
        else state.find(customer["invoice_settings"]["default_payment_method"] or "")
    )
    resolved = discounts.resolve(state, params.get("discounts"), customer["id"], "discounts")
    default_tax_rates = tax_rates.resolve(state, params, "default_tax_rates") or []
    behaviour = one_of(params, "payment_behavior", PAYMENT_BEHAVIORS, "allow_incomplete")
    collection = one_of(
        params,
        "collection_method",
        ("charge_automatically", "send_invoice"),
        "charge_automatically",
    )
    now = state.now()
    trial_end = cycles.trial_end(params, [p for _, p, _ in entries], now)
    anchor, start_date, span, lines = cycles.first_lines(state, params, entries, now, trial_end)
    draft = invoices.build(
        state,
        customer,
        subscription=None,
        specs=lines,
        billing_reason="subscription_create",
        period=(now, now),
        currency=currency,
        discount_pairs=[(f"di_{i}", coupon) for i, (coupon, _) in enumerate(resolved)],
        tax_rate_ids=default_tax_rates,
    )
    automatic = collection == "charge_automatically"
    if outcome is None and automatic:
        outcome = cycles.ensure_payable(state, draft["amount_due"], pm, behaviour)
    if trial_end is not None:
        status = "trialing"
    else:
        status = "incomplete" if automatic and draft["amount_due"] > 0 else "active"
    cancel_at = opt_int(params, "cancel_at")
    at_period_end = bool(opt_bool(params, "cancel_at_period_end"))
    sub: Obj = {
        "id": state.new_id("sub"),
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"enabled": False, "liability": None, "disabled_reason": None},
        "billing_cycle_anchor": anchor,
        "billing_cycle_anchor_config": None,
        "cancel_at": span[1] if at_period_end else cancel_at,
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "collection_method": collection,
        "created": now,
        "currency": currency,
        "customer": customer["id"],
        "days_until_due": opt_int(params, "days_until_due") if not automatic else None,
        "default_payment_method": pm["id"] if pm_value and pm else None,
        "default_source": None,
        "default_tax_rates": [],
        "description": opt_str(params, "description"),
        "discounts": [],
        "ended_at": None,
        "invoice_settings": {
            "account_tax_ids": None,
            "issuer": {"type": "self"},
            "custom_fields": None,
            "description": None,
            "footer": None,
        },
        "latest_invoice": None,
        "livemode": False,
        "metadata": merged_metadata({}, params.get("metadata")),
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": start_date,
        "status": status,
        "test_clock": None,
        "transfer_data": None,
        "trial_end": trial_end,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": now if trial_end is not None else None,
        "cancel_at_period_end": at_period_end,
        "billing_thresholds": None,
        "billing_mode": {
            "type": "flexible",
            "flexible": {"proration_discounts": "included"},
            "updated_at": None,
        },
        "customer_account": None,
        "managed_payments": None,
        "billing_schedules": [],
        "_items": [item_id for item_id, _, _ in entries],
        "_pending": [],
        "_trial_will_end_sent": False,
        "_default_tax_rates": default_tax_rates,
    }
    state.add(sub)
    for (item_id, price, quantity), item_metadata in zip(entries, metadata, strict=True):
        new_item(state, sub["id"], item_id, price, quantity, item_metadata)
    cycles.set_period(state, sub, *span)
    sub["discounts"] = discounts.create_discounts(
        state, resolved, customer_id=customer["id"], subscription_id=sub["id"]
    )
    customer["currency"] = currency
    invoice = invoices.build(
        state,
        customer,
        subscription=sub,
        specs=lines,
        billing_reason="subscription_create",
        period=(now, now),
        currency=currency,
        discount_pairs=discounts.in_force(state, sub["discounts"], now),
    )
    sub["latest_invoice"] = invoice["id"]
    state.emit("customer.subscription.created", sub)
    cycles.invoice_now(state, sub, invoice, outcome, attempt=outcome is not None)
    if trial_end is not None and trial_end - now <= TRIAL_WARNING:
        warn_trial_ending(state, sub)
    return sub


def warn_trial_ending(state: State, sub: Obj) -> None:
    sub["_trial_will_end_sent"] = True
    state.emit("customer.subscription.trial_will_end", sub)


def end_subscription(state: State, sub: Obj, *, reason: str, comment: str | None = None) -> None:
    now = state.now()
    sub.update(status="canceled", ended_at=now, cancel_at_period_end=False)
    sub["canceled_at"] = sub["canceled_at"] or now
    sub["cancellation_details"]["reason"] = reason
    if comment is not None:
        sub["cancellation_details"]["comment"] = comment
    sub["_pending"] = []
    state.emit("customer.subscription.deleted", sub)
    invoices.stop_collection(state, sub["customer"])


@router.post("/v1/subscriptions", sp.SubscriptionCreateParams)
def create(state: State, params: Params) -> Obj:
    return start(state, params)


@router.get("/v1/subscriptions/search", sp.SubscriptionSearchParams)
def search_subscriptions(state: State, params: Params) -> Obj:
    return search(state.all("subscription"), params, "/v1/subscriptions/search")


@router.get("/v1/subscriptions/{sub_id}", sp.SubscriptionRetrieveParams)
def retrieve(state: State, params: Params, sub_id: str) -> Obj:
    return state.get("subscription", sub_id)


@router.get("/v1/subscriptions", sp.SubscriptionListParams)
def list_subscriptions(state: State, params: Params) -> Obj:
    found = created_filter(state.all("subscription"), params)
    status = opt_str(params, "status")
    if status is None:
        found = [s for s in found if s["status"] != "canceled"]
    elif status != "all":
        found = [s for s in found if s["status"] == status]
    customer = opt_str(params, "customer")
    if customer is not None:
        found = [s for s in found if s["customer"] == customer]
    price = opt_str(params, "price")
    if price is not None:
        found = [s for s in found if any(i["price"] == price for i in cycles.items_of(state, s))]
    return page(found, params, "/v1/subscriptions")


@router.delete("/v1/subscriptions/{sub_id}", sp.SubscriptionCancelParams)
def cancel(state: State, params: Params, sub_id: str) -> Obj:
    """Cancel now. `prorate` credits the unused time; `invoice_now` puts that credit and
    any pending prorations on a final invoice (otherwise the credit goes to the
    customer's balance and pending prorations are dropped). Open invoices are left open
    but no longer collected automatically (see `invoices.stop_collection`)."""
    sub = state.get("subscription", sub_id)
    if sub["status"] in ENDED:
        raise invalid_request(
            f"This subscription has already been canceled: {sub_id}", param="subscription"
        )
    details = opt_dict(params, "cancellation_details") or {}
    credits: list[LineSpec] = []
    if opt_bool(params, "prorate") and sub["status"] in ("active", "past_due", "unpaid"):
        credits = cycles.net_pending(state, sub, _unused_time(state, sub))
    specs = list(sub["_pending"]) + credits
    if opt_bool(params, "invoice_now") and specs:
        _final_invoice(state, sub, specs)
    elif credits:
        state.get("customer", sub["customer"])["balance"] += sum(line.amount for line in credits)
    if details.get("feedback"):
        sub["cancellation_details"]["feedback"] = details["feedback"]
    end_subscription(
        state, sub, reason="cancellation_requested", comment=details.get("comment") or None
    )
    return sub


def _unused_time(state: State, sub: Obj) -> list[LineSpec]:
    now = state.now()
    span = cycles.period(state, sub)
    return [
        cycles.prorated_line(
            state, state.objects[i["price"]], i["quantity"], i["id"], span, now, credit=True
        )
        for i in cycles.items_of(state, sub)
    ]


def _final_invoice(state: State, sub: Obj, specs: list[LineSpec]) -> None:
    now = state.now()
    invoice = invoices.build(
        state,
        state.get("customer", sub["customer"]),
        subscription=sub,
        specs=specs,
        billing_reason="subscription_update",
        period=cycles.period(state, sub),
        currency=sub["currency"],
        discount_pairs=discounts.in_force(state, sub["discounts"], now),
    )
    sub["_pending"] = []
    sub["latest_invoice"] = invoice["id"]
    cycles.invoice_now(state, sub, invoice)
