"""Tax rates, and the taxes they put on invoice lines.

A tax rate's percentage and `inclusive` flag are fixed once it is created (the update
endpoint takes neither, as in Stripe); it can be archived (`active=false`), after which
it cannot be put on new subscriptions but keeps applying where it already is.

Taxes are computed per invoice line, on what the line costs after its discounts
(`taxable_amount`), and each rate's amount is rounded half up to a whole minor unit on
each line; the invoice's `total_taxes` add up the lines per rate. An exclusive rate is
added on top of the line; inclusive rates are already inside it, so the line's net
amount is what is left once all of them are taken out, and each rate applies to that
net amount. Only exclusive taxes change the invoice's `total`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import stripe.params as sp

from ..errors import invalid_request, parameter_error
from ..forms import Params, merged_metadata, opt_bool, opt_list, opt_str, required
from ..listing import created_filter, page
from ..periods import round_minor
from ..routing import router
from ..state import Obj, State

HUNDRED = Decimal(100)
_TAX_TYPES = (
    "amusement_tax",
    "communications_tax",
    "gst",
    "hst",
    "igst",
    "jct",
    "lease_tax",
    "pst",
    "qst",
    "retail_delivery_fee",
    "rst",
    "sales_tax",
    "service_tax",
    "vat",
)
# "You can add up to ten tax rates to each line item" (Stripe docs, Tax rates and IDs).
MAX_RATES = 10


def _percentage(params: Params) -> Decimal:
    raw = required(params, "percentage")
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or not Decimal(0) <= value <= HUNDRED:
        raise parameter_error(
            "Invalid percentage: must be a number between 0 and 100",
            param="percentage",
            code="parameter_invalid",
        )
    return value.normalize()


def _boolean(params: Params, name: str) -> bool:
    value = opt_bool(params, name)
    if value is None:
        raise invalid_request(f"Missing required param: {name}.", param=name)
    return value


@router.post("/v1/tax_rates", sp.TaxRateCreateParams)
def create_tax_rate(state: State, params: Params) -> Obj:
    percentage = _percentage(params)
    tax_type = opt_str(params, "tax_type")
    if tax_type is not None and tax_type not in _TAX_TYPES:
        raise invalid_request(f"Invalid tax_type: {tax_type}", param="tax_type")
    rate: Obj = {
        "id": state.new_id("txr"),
        "object": "tax_rate",
        "active": opt_bool(params, "active") is not False,
        "country": opt_str(params, "country"),
        "created": state.now(),
        "description": opt_str(params, "description"),
        "display_name": str(required(params, "display_name")),
        "effective_percentage": float(percentage),
        "inclusive": _boolean(params, "inclusive"),
        "jurisdiction": opt_str(params, "jurisdiction"),
        "jurisdiction_level": None,
        "livemode": False,
        "metadata": merged_metadata({}, params.get("metadata")),
        "percentage": float(percentage),
        "state": opt_str(params, "state"),
        "tax_type": tax_type,
        "flat_amount": None,
        "rate_type": "percentage",
        "_percentage": str(percentage),
    }
    state.add(rate)
    state.emit("tax_rate.created", rate)
    return rate


@router.get("/v1/tax_rates/{rate_id}", sp.TaxRateRetrieveParams)
def retrieve_tax_rate(state: State, params: Params, rate_id: str) -> Obj:
    return state.get("tax_rate", rate_id)


@router.post("/v1/tax_rates/{rate_id}", sp.TaxRateUpdateParams)
def update_tax_rate(state: State, params: Params, rate_id: str) -> Obj:
    rate = state.get("tax_rate", rate_id)
    before = state.render(rate)
    if "active" in params:
        rate["active"] = bool(opt_bool(params, "active"))
    for name in ("country", "description", "jurisdiction", "state", "tax_type"):
        if name in params:
            rate[name] = opt_str(params, name)
    if params.get("display_name") not in (None, ""):
        rate["display_name"] = str(params["display_name"])
    rate["metadata"] = merged_metadata(rate["metadata"], params.get("metadata"))
    state.emit_update("tax_rate.updated", rate, before)
    return rate


@router.get("/v1/tax_rates", sp.TaxRateListParams)
def list_tax_rates(state: State, params: Params) -> Obj:
    found = created_filter(state.all("tax_rate"), params)
    for name in ("active", "inclusive"):
        wanted = opt_bool(params, name)
        if wanted is not None:
            found = [r for r in found if r[name] == wanted]
    return page(found, params, "/v1/tax_rates")


def resolve(state: State, params: Params, name: str) -> list[str] | None:
    """The tax rate ids of a `default_tax_rates`-like parameter; None when it is absent,
    [] when it is the empty string (Stripe's way of clearing a list)."""
    if name not in params:
        return None
    if params[name] == "":
        return []
    entries = opt_list(params, name) or []
    if len(entries) > MAX_RATES:
        raise invalid_request(f"You can apply at most {MAX_RATES} tax rates.", param=name)
    ids: list[str] = []
    for index, entry in enumerate(entries):
        rate = state.get("tax_rate", entry, param=f"{name}[{index}]")
        if not rate["active"]:
            raise invalid_request(
                f"Tax rate {rate['id']} is inactive and cannot be applied.",
                param=f"{name}[{index}]",
            )
        if rate["id"] not in ids:
            ids.append(rate["id"])
    return ids


def rendered(state: State, ids: list[str]) -> list[Obj]:
    return [state.render(state.objects[rate_id]) for rate_id in ids]


def _tax(amount: int, rate: Obj, taxable: int) -> Obj:
    return {
        "amount": amount,
        "tax_behavior": "inclusive" if rate["inclusive"] else "exclusive",
        "tax_rate_details": {"tax_rate": rate["id"]},
        "taxability_reason": "not_available",
        "taxable_amount": taxable,
        "type": "tax_rate_details",
    }


def line_taxes(state: State, amount: int, rate_ids: list[str]) -> list[Obj]:
    """The taxes of one line costing `amount` after its discounts."""
    rates = [state.objects[rate_id] for rate_id in rate_ids]
    inclusive = sum((Decimal(r["_percentage"]) for r in rates if r["inclusive"]), Decimal(0))
    net = Decimal(amount) * HUNDRED / (HUNDRED + inclusive)
    taxable = round_minor(net)
    return [
        _tax(round_minor(net * Decimal(rate["_percentage"]) / HUNDRED), rate, taxable)
        for rate in rates
    ]


def apply(state: State, lines: list[Obj], rate_ids: list[str]) -> list[Obj]:
    """Set each line's `taxes`; return the invoice's `total_taxes`, one entry per rate."""
    totals: dict[str, Obj] = {}
    for line in lines:
        discounted = line["amount"] - sum(d["amount"] for d in line["discount_amounts"])
        line["taxes"] = line_taxes(state, discounted, rate_ids) if rate_ids else []
        for tax in line["taxes"]:
            rate_id = tax["tax_rate_details"]["tax_rate"]
            total = totals.setdefault(rate_id, {**tax, "amount": 0, "taxable_amount": 0})
            total["amount"] += tax["amount"]
            total["taxable_amount"] += tax["taxable_amount"]
    return [totals[rate_id] for rate_id in rate_ids if rate_id in totals]


def exclusive_total(taxes: list[Any]) -> int:
    return sum(t["amount"] for t in taxes if t["tax_behavior"] == "exclusive")


def inclusive_total(taxes: list[Any]) -> int:
    return sum(t["amount"] for t in taxes if t["tax_behavior"] == "inclusive")
