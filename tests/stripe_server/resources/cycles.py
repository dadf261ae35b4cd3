"""Billing periods of subscriptions and the invoice lines each period produces:
the first period (trial, backdated start, or a billing cycle anchor), renewals, and
whether a new invoice can be paid before anything is stored.

All items of a subscription share its interval and currency (Stripe refuses a mix), so
the subscription's period is its first item's `current_period_start/end` and every
item is moved together.

First periods: a trial runs from now to `trial_end`, which becomes the anchor, with a
zero invoice. A `billing_cycle_anchor` makes a short first period, charged as the
matching share of the period that ends at the anchor (free with
`proration_behavior=none`). A `backdate_start_date` anchors the cycle there and
charges every whole period from it through the one that contains now (only that one
with `proration_behavior=none`), the way flexible billing mode itemizes it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ..errors import card_error, invalid_request
from ..forms import Params, one_of, opt_bool, opt_int, to_int
from ..periods import DAY, period_containing, prorate, round_minor, shift
from ..state import Obj, State
from . import discounts, invoices, payments
from .catalog import line_amount, unit_amount
from .invoices import LineSpec, money

# Accepted by Stripe but not modelled here; refused rather than silently ignored, so a
# test never passes on behaviour the server does not have.
UNSUPPORTED = (
    "add_invoice_items",
    "application_fee_percent",
    "billing_schedules",
    "billing_thresholds",
    "on_behalf_of",
    "pause_collection",
    "pending_invoice_item_interval",
    "transfer_data",
)
PAYMENT_BEHAVIORS = ("allow_incomplete", "default_incomplete", "error_if_incomplete")
PRORATION_BEHAVIORS = ("create_prorations", "none", "always_invoice")
# Stripe writes a quantity in a line description with a multiplication sign (2 x Pro).
TIMES = "\u00d7"


def interval_of(price: Obj) -> tuple[str, int]:
    recurring = price["recurring"]
    return recurring["interval"], recurring["interval_count"]


def check_compatible(prices: list[Obj]) -> None:
    first = prices[0]
    for price in prices[1:]:
        if price["currency"] != first["currency"]:
            raise invalid_request(
                "Currency and interval fields must match across all plans on this "
                "subscription. Found mismatch in currency field.",
                param="items",
            )
        if interval_of(price) != interval_of(first):
            raise invalid_request(
                "Currency and interval fields must match across all plans on this "
                "subscription. Found mismatch in interval field.",
                param="items",
            )


def items_of(state: State, sub: Obj) -> list[Obj]:
    return [state.objects[item_id] for item_id in sub["_items"]]


def period(state: State, sub: Obj) -> tuple[int, int]:
    first = items_of(state, sub)[0]
    return first["current_period_start"], first["current_period_end"]


def set_period(state: State, sub: Obj, start: int, end: int) -> None:
    for item in items_of(state, sub):
        item["current_period_start"] = start
        item["current_period_end"] = end


def next_period(sub: Obj, price: Obj, after: int) -> tuple[int, int]:
    interval, count = interval_of(price)
    return period_containing(sub["billing_cycle_anchor"], interval, count, after)


def product_name(state: State, price: Obj) -> str:
    product = state.find(price["product"]) or {}
    return str(product.get("name") or price["product"])


def _day(moment: int) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%d %b %Y")


def full_line(
    state: State, price: Obj, quantity: int, item: str | None, start: int, end: int
) -> LineSpec:
    interval, count = interval_of(price)
    every = interval if count == 1 else f"every {count} {interval}s"
    amount = 0 if price["recurring"]["usage_type"] == "metered" else line_amount(price, quantity)
    description = (
        f"{quantity} {TIMES} {product_name(state, price)} "
        f"(at {money(round_minor(unit_amount(price)), price['currency'])} / {every})"
    )
    return LineSpec(price, quantity, amount, start, end, description, item)


def trial_line(
    state: State, price: Obj, quantity: int, item: str | None, start: int, end: int
) -> LineSpec:
    description = f"Trial period for {product_name(state, price)}"
    return LineSpec(price, quantity, 0, start, end, description, item)


def prorated_line(
    state: State,
    price: Obj,
    quantity: int,
    item: str | None,
    span: tuple[int, int],
    at: int,
    *,
    credit: bool,
) -> LineSpec:
    """Credit for the unused time of, or charge for the remaining time of, an item.

    A credit is the unused share of what the item was charged for this period, net of
    its discounts, when that is known; otherwise of its price."""
    start, end = span
    full = 0 if price["recurring"]["usage_type"] == "metered" else line_amount(price, quantity)
    amount = prorate(full, start, end, at)
    netted: tuple[str, ...] | None = None
    debited = (state.find(item or "") or {}).get("_debited") if credit else None
    if debited is not None and debited["end"] == end and debited["start"] <= at:
        amount = prorate(debited["amount"], debited["start"], debited["end"], at)
        netted = tuple(debited["discounts"])
    label = "Unused time on" if credit else "Remaining time on"
    what = (
        product_name(state, price)
        if quantity == 1
        else f"{quantity} {TIMES} {product_name(state, price)}"
    )
    return LineSpec(
        price,
        quantity,
        -amount if credit else amount,
        max(at, start),
        end,
        f"{label} {what} after {_day(at)}",
        item,
        proration=True,
        invoice_item=state.new_id("ii"),
        credit=credit,
        full=full,
        discounts=netted,
    )


def backdated_lines(
    state: State, price: Obj, quantity: int, item: str | None, start: int, current_end: int
) -> list[LineSpec]:
    """One full line per period from a backdated start through the current period."""
    interval, count = interval_of(price)
    lines = []
    index = 0
    while True:
        begin, end = shift(start, interval, count, index), shift(start, interval, count, index + 1)
        if begin >= current_end:
            return lines
        lines.append(full_line(state, price, quantity, item, begin, end))
        index += 1


def renew(state: State, sub: Obj) -> None:
    """Start the subscription's next period (ending a trial if due) and invoice it."""
    old_start, old_end = period(state, sub)
    first_price = state.objects[items_of(state, sub)[0]["price"]]
    start, end = next_period(sub, first_price, old_end)
    before = state.render(sub)
    set_period(state, sub, start, end)
    if sub["status"] == "trialing":
        sub["status"] = "active"
    sub["discounts"] = [d for d, _ in discounts.in_force(state, sub["discounts"], start)]
    specs = list(sub["_pending"]) + [
        full_line(state, state.objects[item["price"]], item["quantity"], item["id"], start, end)
        for item in items_of(state, sub)
    ]
    sub["_pending"] = []
    invoice = invoices.build(
        state,
        state.get("customer", sub["customer"]),
        subscription=sub,
        specs=specs,
        billing_reason="subscription_cycle",
        period=(old_start, old_end),
        currency=sub["currency"],
        discount_pairs=discounts.in_force(state, sub["discounts"], start),
    )
    sub["latest_invoice"] = invoice["id"]
    state.emit_update("customer.subscription.updated", sub, before)
    # Stripe creates the renewal as a draft and finalizes it about an hour later
    # (invoice.created now, invoice.finalized and the payment attempt then).
    invoices.schedule_finalization(state, invoice)
    invoices.create(state, invoice)


def invoice_now(
    state: State, sub: Obj, invoice: Obj, outcome: str | None = None, *, attempt: bool = True
) -> None:
    """Store and finalize `invoice`; attempt its payment when collection is automatic."""
    invoices.create(state, invoice)
    invoices.finalize(state, invoice)
    automatic = sub["collection_method"] == "charge_automatically"
    if attempt and automatic and invoice["status"] == "open":
        invoices.collect(state, invoice, outcome)


def net_pending(state: State, sub: Obj, specs: list[LineSpec]) -> list[LineSpec]:
    """Prorations waiting for the next invoice, netted with the discounts in force now."""
    pairs = discounts.in_force(state, sub["discounts"], state.now())
    return [invoices.net_proration(spec, pairs) if spec.proration else spec for spec in specs]


def ensure_payable(
    state: State, amount_due: int, pm: Obj | None, payment_behavior: str
) -> str | None:
    """Decide the outcome of paying a new invoice before anything is stored.

    `error_if_incomplete` must leave no trace when the payment would not succeed, so
    the outcome is drawn first and a failure answered with a 402 straight away.
    """
    if amount_due == 0 or payment_behavior == "default_incomplete":
        return None
    if pm is None:
        raise invalid_request(
            "This customer has no attached payment source or default payment method. "
            "Please consider adding a default payment method.",
            code="resource_missing",
        )
    outcome = payments.take_outcome(state, pm)
    if payment_behavior == "error_if_incomplete" and outcome not in (
        payments.SUCCEED,
        payments.PROCESSING,
    ):
        if outcome == payments.REQUIRE_ACTION:
            raise card_error(
                payments.AUTHENTICATION_REQUIRED["message"],
                code="authentication_required",
                decline_code="authentication_required",
            )
        raise card_error(
            payments.DECLINED["message"], code="card_declined", decline_code="generic_decline"
        )
    return outcome


def trial_end(params: Params, prices: list[Obj], now: int) -> int | None:
    value = params.get("trial_end")
    if value == "now":
        return None
    if value not in (None, ""):
        end = to_int(value, "trial_end")
        if end <= now:
            raise invalid_request(
                "Invalid timestamp: must be an integer Unix timestamp in the future.",
                param="trial_end",
            )
        return end
    days = opt_int(params, "trial_period_days")
    if days is None and opt_bool(params, "trial_from_plan"):
        days = prices[0]["recurring"]["trial_period_days"]
    return now + days * DAY if days else None


def first_lines(
    state: State,
    params: Params,
    entries: list[tuple[str, Obj, int]],
    now: int,
    trial_end: int | None,
) -> tuple[int, int, tuple[int, int], list[LineSpec]]:
    """(billing_cycle_anchor, start_date, current period, first invoice lines)."""
    interval, count = interval_of(entries[0][1])
    backdate = opt_int(params, "backdate_start_date")
    if backdate is not None and backdate > now:
        raise invalid_request(
            "backdate_start_date must be in the past.", param="backdate_start_date"
        )
    start = backdate if backdate is not None else now
    anchor = opt_int(params, "billing_cycle_anchor")
    prorations = one_of(params, "proration_behavior", PRORATION_BEHAVIORS, "create_prorations")
    if trial_end is not None:
        span = (now, trial_end)
        lines = [trial_line(state, p, q, i, *span) for i, p, q in entries]
        return trial_end, start, span, lines
    if anchor is not None:
        natural = shift(start, interval, count, 1)
        if anchor < now or anchor > natural:
            raise invalid_request(
                f"billing_cycle_anchor cannot be later than next natural billing date ({natural}) "
                "for plan",
                param="billing_cycle_anchor",
            )
        span = (start, anchor)
        previous = shift(anchor, interval, count, -1)
        lines = [
            prorated_line(state, p, q, i, (previous, anchor), start, credit=False)
            if prorations != "none"
            else trial_line(state, p, q, i, *span)
            for i, p, q in entries
        ]
        return anchor, start, span, lines
    if backdate is not None:
        span = period_containing(backdate, interval, count, now)
        if prorations == "none":
            lines = [full_line(state, p, q, i, *span) for i, p, q in entries]
        else:
            lines = [
                line
                for i, p, q in entries
                for line in backdated_lines(state, p, q, i, backdate, span[1])
            ]
        return backdate, start, span, lines
    span = (now, shift(now, interval, count, 1))
    return now, start, span, [full_line(state, p, q, i, *span) for i, p, q in entries]


def refuse_unsupported(params: Params) -> None:
    for name in UNSUPPORTED:
        if params.get(name) not in (None, ""):
            raise invalid_request(f"{name} is not supported by the Stripe test server.", param=name)
    # Tax rates are modelled per subscription (`default_tax_rates`), not per item.
    for index, entry in enumerate(params.get("items") or []):
        if isinstance(entry, dict) and entry.get("tax_rates") not in (None, ""):
            raise invalid_request(
                "Per-item tax_rates are not supported by the Stripe test server; use "
                "default_tax_rates.",
                param=f"items[{index}][tax_rates]",
            )
