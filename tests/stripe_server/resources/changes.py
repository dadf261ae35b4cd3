"""Changes to subscriptions: items, quantities, trials, cancellation dates.

A change to an item's price or quantity mid-period is prorated to the second at
`proration_date` (default now): a credit for the unused time of what the customer had
and a charge for the remaining time of what they have now. With
`create_prorations` (the default) those lines wait for the next invoice; with
`always_invoice` they are invoiced at once; `none` drops them. Changing the billing
interval restarts the period now and invoices at once, as Stripe does; changes during
a trial are never prorated.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import stripe.params as sp

from ..errors import invalid_request
from ..forms import (
    Params,
    merged_metadata,
    one_of,
    opt_bool,
    opt_dict,
    opt_int,
    opt_list,
    opt_str,
    to_int,
)
from ..periods import shift
from ..routing import router
from ..state import Obj, State
from . import cycles, discounts, invoices, payment_methods, tax_rates
from .invoices import LineSpec
from .subscriptions import (
    ENDED,
    PAYMENT_BEHAVIORS,
    PRORATION_BEHAVIORS,
    new_item,
    resolve_price,
)


@dataclass(frozen=True)
class ItemPlan:
    """What one item of the subscription will be after a change."""

    item_id: str
    price: Obj
    quantity: int
    metadata: Any = None
    deleted: bool = False
    # New items get their id when planned, so that their invoice lines can name them.
    new: bool = False


def current_plan(state: State, sub: Obj) -> list[ItemPlan]:
    return [
        ItemPlan(item["id"], state.objects[item["price"]], item["quantity"])
        for item in cycles.items_of(state, sub)
    ]


def planned_items(state: State, sub: Obj, raw: list[Any] | None) -> list[ItemPlan]:
    plans = current_plan(state, sub)
    for index, entry in enumerate(raw or []):
        where = f"items[{index}]"
        if not isinstance(entry, dict):
            raise invalid_request("Invalid item.", param=where)
        item_id = entry.get("id")
        if item_id:
            position = next((i for i, p in enumerate(plans) if p.item_id == item_id), None)
            if position is None:
                raise invalid_request(
                    f"No such subscription item: '{item_id}'", param=f"{where}[id]", status=404
                )
            plan = plans[position]
            if opt_bool(entry, "deleted"):
                plans[position] = replace(plan, deleted=True)
                continue
            price = (
                resolve_price(state, entry, where)
                if entry.get("price") or entry.get("price_data")
                else plan.price
            )
            quantity = (
                to_int(entry["quantity"], f"{where}[quantity]")
                if entry.get("quantity") not in (None, "")
                else plan.quantity
            )
            plans[position] = replace(
                plan, price=price, quantity=quantity, metadata=entry.get("metadata")
            )
        else:
            price = resolve_price(state, entry, where)
            if any(p.price["id"] == price["id"] and not p.deleted for p in plans):
                raise invalid_request(
                    "Cannot add multiple subscription items with the same price.",
                    param=f"{where}[price]",
                )
            quantity = to_int(entry.get("quantity", 1), f"{where}[quantity]")
            plans.append(
                ItemPlan(state.new_id("si", 14), price, quantity, entry.get("metadata"), new=True)
            )
    remaining = [p for p in plans if not p.deleted]
    if not remaining:
        raise invalid_request("A subscription must have at least one active item.", param="items")
    cycles.check_compatible([p.price for p in remaining])
    if remaining[0].price["currency"] != sub["currency"]:
        raise invalid_request("You cannot change the currency of a subscription.", param="items")
    return plans


def proration_lines(
    state: State, sub: Obj, plans: list[ItemPlan], at: int, *, credits_only: bool = False
) -> list[LineSpec]:
    """Credits for the unused time of changed items, and (unless the period restarts,
    when the new items are charged in full instead) charges for their remaining time."""
    span = cycles.period(state, sub)
    if not span[0] <= at <= span[1]:
        raise invalid_request(
            "proration_date must be within the current period of the subscription.",
            param="proration_date",
        )
    before = {p.item_id: p for p in current_plan(state, sub)}
    lines: list[LineSpec] = []
    for plan in plans:
        old = before.get(plan.item_id)
        changed = (
            old is None
            or plan.deleted
            or (old.price["id"], old.quantity) != (plan.price["id"], plan.quantity)
        )
        if not changed:
            continue
        if old is not None:
            lines.append(
                cycles.prorated_line(
                    state, old.price, old.quantity, old.item_id, span, at, credit=True
                )
            )
        if not plan.deleted and not credits_only:
            lines.append(
                cycles.prorated_line(
                    state, plan.price, plan.quantity, plan.item_id, span, at, credit=False
                )
            )
    return lines


def interval_changes(sub: Obj, state: State, plans: list[ItemPlan]) -> bool:
    current = cycles.interval_of(state.objects[cycles.items_of(state, sub)[0]["price"]])
    return any(cycles.interval_of(p.price) != current for p in plans if not p.deleted)


def apply_plans(state: State, sub: Obj, plans: list[ItemPlan]) -> None:
    span = cycles.period(state, sub)
    kept: list[str] = []
    for plan in plans:
        if plan.new:
            new_item(state, sub["id"], plan.item_id, plan.price, plan.quantity, plan.metadata)
            kept.append(plan.item_id)
            continue
        item = state.objects[plan.item_id]
        if plan.deleted:
            state.remove(item)
            continue
        item.update(price=plan.price["id"], quantity=plan.quantity)
        item["metadata"] = merged_metadata(item["metadata"], plan.metadata)
        kept.append(item["id"])
    sub["_items"] = kept
    cycles.set_period(state, sub, *span)


def restart_lines(
    state: State, sub: Obj, plans: list[ItemPlan], now: int
) -> tuple[tuple[int, int], list[LineSpec]]:
    """A period starting now, and its full charges, for an interval change or a reset anchor."""
    live = [p for p in plans if not p.deleted]
    interval, count = cycles.interval_of(live[0].price)
    span = (now, shift(now, interval, count, 1))
    return span, [cycles.full_line(state, p.price, p.quantity, p.item_id, *span) for p in live]


def change(state: State, sub: Obj, params: Params) -> Obj:
    cycles.refuse_unsupported(params)
    if sub["status"] in ENDED and set(params) - {"metadata", "cancellation_details", "expand"}:
        raise invalid_request(
            "A canceled subscription can only update its cancellation_details and metadata."
        )
    now = state.now()
    before = state.render(sub)
    customer = state.get("customer", sub["customer"])
    tax_rates.resolve(state, params, "default_tax_rates")  # refused before anything changes
    behaviour = one_of(params, "payment_behavior", PAYMENT_BEHAVIORS, "allow_incomplete")
    prorations = one_of(params, "proration_behavior", PRORATION_BEHAVIORS, "create_prorations")
    at = opt_int(params, "proration_date") or now
    raw_items = opt_list(params, "items")
    plans = planned_items(state, sub, raw_items) if raw_items else current_plan(state, sub)
    trial_value = params.get("trial_end")
    end_trial_now = trial_value == "now" and sub["status"] == "trialing"
    restart = (
        (raw_items and interval_changes(sub, state, plans))
        or params.get("billing_cycle_anchor") == "now"
        or end_trial_now
    )
    pending: list[LineSpec] = []
    if raw_items and sub["status"] != "trialing" and prorations != "none":
        pending = proration_lines(state, sub, plans, at, credits_only=bool(restart))
    elif restart and sub["status"] != "trialing" and prorations != "none":
        # A reset anchor ends the current period early: credit what is left of it.
        span = cycles.period(state, sub)
        pending = [
            cycles.prorated_line(state, p.price, p.quantity, p.item_id, span, at, credit=True)
            for p in plans
        ]
    pending = cycles.net_pending(state, sub, pending)
    charge_now: list[LineSpec] | None = None
    span = cycles.period(state, sub)
    if restart:
        span, full = restart_lines(state, sub, plans, now)
        charge_now = list(sub["_pending"]) + pending + full
        sub["billing_cycle_anchor"] = now
    elif prorations == "always_invoice" and pending:
        charge_now = list(sub["_pending"]) + pending
    pm_value = opt_str(params, "default_payment_method")
    if pm_value:
        sub["default_payment_method"] = payment_methods.resolve(
            state, pm_value, customer, "default_payment_method"
        )["id"]
    outcome = None
    if charge_now is not None:
        draft = _invoice(state, sub, customer, charge_now, span, preview=True)
        pm = (
            invoices.payment_method_for(state, draft)
            if sub["collection_method"] == "charge_automatically"
            else None
        )
        if sub["collection_method"] == "charge_automatically":
            outcome = cycles.ensure_payable(state, draft["amount_due"], pm, behaviour)
    elif pending:
        sub["_pending"] = list(sub["_pending"]) + pending
    if raw_items:
        apply_plans(state, sub, plans)
    if charge_now is None:
        # Prorations left for the next invoice are what the new items are charged.
        for spec in pending:
            if spec.item and not spec.credit:
                invoices.note_debit(
                    state,
                    spec.item,
                    spec.amount,
                    (spec.start, spec.end),
                    list(spec.discounts or ()),
                )
    if restart:
        cycles.set_period(state, sub, *span)
    _apply_fields(state, sub, params, now)
    if end_trial_now:
        sub.update(trial_end=now, status="active")
    invoice = None
    if charge_now is not None:
        sub["_pending"] = []
        invoice = _invoice(state, sub, customer, charge_now, span, preview=False)
        sub["latest_invoice"] = invoice["id"]
        automatic = sub["collection_method"] == "charge_automatically"
        if automatic and outcome is None and invoice["amount_due"] > 0:
            # default_incomplete: the invoice waits for its payment intent's confirmation.
            sub["status"] = "past_due"
    state.emit_update("customer.subscription.updated", sub, before)
    if invoice is not None:
        cycles.invoice_now(state, sub, invoice, outcome, attempt=outcome is not None)
    return sub


def _invoice(
    state: State,
    sub: Obj,
    customer: Obj,
    specs: list[LineSpec],
    span: tuple[int, int],
    *,
    preview: bool,
) -> Obj:
    return invoices.build(
        state,
        customer,
        subscription=sub,
        specs=specs,
        billing_reason="subscription_update",
        period=span,
        currency=sub["currency"],
        discount_pairs=discounts.in_force(state, sub["discounts"], state.now()),
        preview=preview,
    )


def _apply_fields(state: State, sub: Obj, params: Params, now: int) -> None:
    sub["metadata"] = merged_metadata(sub["metadata"], params.get("metadata"))
    if "description" in params:
        sub["description"] = opt_str(params, "description")
    details = opt_dict(params, "cancellation_details") or {}
    for key in ("comment", "feedback"):
        if key in details:
            sub["cancellation_details"][key] = details[key] or None
    period_end = cycles.period(state, sub)[1]
    if "cancel_at_period_end" in params:
        at_end = bool(opt_bool(params, "cancel_at_period_end"))
        sub["cancel_at_period_end"] = at_end
        sub["cancel_at"] = period_end if at_end else None
        sub["canceled_at"] = now if at_end else None
    if "cancel_at" in params:
        cancel_at = opt_int(params, "cancel_at")
        sub["cancel_at"] = cancel_at
        sub["cancel_at_period_end"] = cancel_at == period_end
        sub["canceled_at"] = now if cancel_at else None
    trial_value = params.get("trial_end")
    if trial_value not in (None, "", "now"):
        trial_end = to_int(trial_value, "trial_end")
        if trial_end <= now:
            raise invalid_request("Invalid timestamp: must be in the future.", param="trial_end")
        start = cycles.period(state, sub)[0]
        sub.update(trial_end=trial_end, status="trialing", billing_cycle_anchor=trial_end)
        sub["trial_start"] = sub["trial_start"] or now
        sub["_trial_will_end_sent"] = False
        cycles.set_period(state, sub, start, trial_end)
    default_tax_rates = tax_rates.resolve(state, params, "default_tax_rates")
    if default_tax_rates is not None:
        sub["_default_tax_rates"] = default_tax_rates
    if "discounts" in params:
        customer_id = sub["customer"]
        resolved = discounts.resolve(state, params["discounts"], customer_id, "discounts")
        sub["discounts"] = discounts.create_discounts(
            state, resolved, customer_id=customer_id, subscription_id=sub["id"]
        )
    if "collection_method" in params:
        sub["collection_method"] = one_of(
            params,
            "collection_method",
            ("charge_automatically", "send_invoice"),
            sub["collection_method"],
        )
    if "days_until_due" in params:
        sub["days_until_due"] = opt_int(params, "days_until_due")


@router.post("/v1/subscriptions/{sub_id}", sp.SubscriptionUpdateParams)
def update(state: State, params: Params, sub_id: str) -> Obj:
    return change(state, state.get("subscription", sub_id), params)


@router.get("/v1/subscription_items", sp.SubscriptionItemListParams)
def list_items(state: State, params: Params) -> Obj:
    sub = state.get("subscription", params.get("subscription"), param="subscription")
    from ..listing import page

    return page(list(reversed(cycles.items_of(state, sub))), params, "/v1/subscription_items")


@router.get("/v1/subscription_items/{item_id}", sp.SubscriptionItemRetrieveParams)
def retrieve_item(state: State, params: Params, item_id: str) -> Obj:
    return state.get("subscription_item", item_id)


def _item_change(params: Params, entry: dict[str, Any]) -> Params:
    """The subscription update equivalent to a call on /v1/subscription_items."""
    change_params = {"items": [entry]}
    for key in ("proration_behavior", "proration_date", "payment_behavior"):
        if key in params:
            change_params[key] = params[key]
    return change_params


@router.post("/v1/subscription_items", sp.SubscriptionItemCreateParams)
def create_item(state: State, params: Params) -> Obj:
    sub = state.get("subscription", params.get("subscription"), param="subscription")
    entry = {k: params[k] for k in ("price", "price_data", "quantity", "metadata") if k in params}
    change(state, sub, _item_change(params, entry))
    return state.objects[sub["_items"][-1]]


@router.post("/v1/subscription_items/{item_id}", sp.SubscriptionItemUpdateParams)
def update_item(state: State, params: Params, item_id: str) -> Obj:
    item = state.get("subscription_item", item_id)
    entry = {k: params[k] for k in ("price", "price_data", "quantity", "metadata") if k in params}
    change(
        state, state.objects[item["subscription"]], _item_change(params, {"id": item_id, **entry})
    )
    return item


@router.delete("/v1/subscription_items/{item_id}", sp.SubscriptionItemDeleteParams)
def delete_item(state: State, params: Params, item_id: str) -> Obj:
    item = state.get("subscription_item", item_id)
    change(
        state,
        state.objects[item["subscription"]],
        _item_change(params, {"id": item_id, "deleted": "true"}),
    )
    return state.deleted[item_id]
