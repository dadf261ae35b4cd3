"""Coupons, promotion codes, and the discounts they put on subscriptions and invoices.

A discount applies to every invoice of its subscription while it lasts: `once` for
the first invoice only, `repeating` until `end`, `forever`. A percentage is taken from
every discountable line, rounded per line; a fixed amount is spread over the positive
discountable lines in proportion, capped at their sum. Prorations are not discountable:
their amounts are netted when they are made (`proration_share`): a percentage of the
prorated amount, or the same share of a fixed amount as the line is of its period.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

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
)
from ..listing import created_filter, page
from ..periods import round_minor, shift
from ..routing import router
from ..state import INCLUDABLE, Obj, State, random_token

# "Valid characters are lower case letters (a-z), upper case letters (A-Z), digits (0-9),
# and dashes (-)": the `code` parameter's description in the OpenAPI description of the
# API version the installed stripe package pins (stripe.params.PromotionCodeCreateParams).
_CODE = re.compile(r"^[A-Za-z0-9-]+$")


def _coupon_valid(state: State, coupon: Obj) -> bool:
    if coupon["redeem_by"] is not None and coupon["redeem_by"] <= state.now():
        return False
    return coupon["max_redemptions"] is None or coupon["times_redeemed"] < coupon["max_redemptions"]


@router.post("/v1/coupons", sp.CouponCreateParams)
def create_coupon(state: State, params: Params) -> Obj:
    percent = params.get("percent_off")
    amount_off = opt_int(params, "amount_off")
    if (percent in (None, "")) == (amount_off is None):
        raise invalid_request(
            "Coupons need exactly one of percent_off or amount_off.", param="percent_off"
        )
    duration = opt_str(params, "duration") or "once"
    months = opt_int(params, "duration_in_months")
    if duration == "repeating" and months is None:
        raise invalid_request(
            "Missing required param: duration_in_months.", param="duration_in_months"
        )
    currency = opt_str(params, "currency")
    if amount_off is not None and currency is None:
        raise invalid_request("You must pass currency when passing amount_off.", param="currency")
    coupon_id = opt_str(params, "id") or random_token(8)
    if state.find(coupon_id) is not None:
        raise invalid_request("Coupon already exists.", param="id", code="resource_already_exists")
    products = (opt_dict(params, "applies_to") or {}).get("products")
    coupon: Obj = {
        "id": coupon_id,
        "object": "coupon",
        "amount_off": amount_off,
        "created": state.now(),
        "currency": currency.lower() if currency else None,
        "duration": duration,
        "duration_in_months": months if duration == "repeating" else None,
        "livemode": False,
        "max_redemptions": opt_int(params, "max_redemptions"),
        "metadata": merged_metadata({}, params.get("metadata")),
        "name": opt_str(params, "name"),
        "percent_off": float(percent) if percent not in (None, "") else None,
        "redeem_by": opt_int(params, "redeem_by"),
        "times_redeemed": 0,
        "valid": True,
        "_applies_to": list(products) if products else None,
    }
    state.add(coupon)
    state.emit("coupon.created", coupon)
    return coupon


@router.get("/v1/coupons/{coupon_id}", sp.CouponRetrieveParams)
def retrieve_coupon(state: State, params: Params, coupon_id: str) -> Obj:
    coupon = state.get("coupon", coupon_id)
    coupon["valid"] = _coupon_valid(state, coupon)
    return coupon


@router.post("/v1/coupons/{coupon_id}", sp.CouponUpdateParams)
def update_coupon(state: State, params: Params, coupon_id: str) -> Obj:
    coupon = state.get("coupon", coupon_id)
    before = state.render(coupon)
    if "name" in params:
        coupon["name"] = opt_str(params, "name")
    coupon["metadata"] = merged_metadata(coupon["metadata"], params.get("metadata"))
    state.emit_update("coupon.updated", coupon, before)
    return coupon


@router.delete("/v1/coupons/{coupon_id}", sp.CouponDeleteParams)
def delete_coupon(state: State, params: Params, coupon_id: str) -> Obj:
    coupon = state.get("coupon", coupon_id)
    state.emit("coupon.deleted", coupon)
    return state.remove(coupon)


@router.get("/v1/coupons", sp.CouponListParams)
def list_coupons(state: State, params: Params) -> Obj:
    return page(created_filter(state.all("coupon"), params), params, "/v1/coupons")


INCLUDABLE[("coupon", "applies_to")] = lambda state, coupon: (
    {"products": list(coupon["_applies_to"])} if coupon.get("_applies_to") else None
)


@router.post("/v1/promotion_codes", sp.PromotionCodeCreateParams)
def create_promotion_code(state: State, params: Params) -> Obj:
    promotion = opt_dict(params, "promotion") or {}
    if promotion.get("type") != "coupon":
        raise invalid_request("Missing required param: promotion[type].", param="promotion[type]")
    coupon = state.get("coupon", promotion.get("coupon"), param="promotion[coupon]")
    code = opt_str(params, "code") or random_token(8).upper()
    if not _CODE.match(code):
        raise parameter_error(
            "Invalid code: a promotion code may only contain letters (a-z, A-Z), digits (0-9) "
            "and dashes (-).",
            param="code",
            code="parameter_invalid_string",
        )
    if any(p["active"] and p["code"].lower() == code.lower() for p in state.all("promotion_code")):
        raise invalid_request(
            f"An active promotion code with `code: {code}` already exists.", param="code"
        )
    customer = opt_str(params, "customer")
    if customer is not None:
        state.get("customer", customer, param="customer")
    restrictions = opt_dict(params, "restrictions") or {}
    promo: Obj = {
        "id": state.new_id("promo"),
        "object": "promotion_code",
        "active": opt_bool(params, "active") is not False,
        "code": code,
        "created": state.now(),
        "customer": customer,
        "expires_at": opt_int(params, "expires_at"),
        "livemode": False,
        "max_redemptions": opt_int(params, "max_redemptions"),
        "metadata": merged_metadata({}, params.get("metadata")),
        "restrictions": {
            "first_time_transaction": restrictions.get("first_time_transaction") in ("true", True),
            "minimum_amount": opt_int(restrictions, "minimum_amount"),
            "minimum_amount_currency": restrictions.get("minimum_amount_currency") or None,
        },
        "times_redeemed": 0,
        "promotion": {"coupon": coupon["id"], "type": "coupon"},
        "customer_account": None,
    }
    state.add(promo)
    state.emit("promotion_code.created", promo)
    return promo


@router.get("/v1/promotion_codes/{promo_id}", sp.PromotionCodeRetrieveParams)
def retrieve_promotion_code(state: State, params: Params, promo_id: str) -> Obj:
    return state.get("promotion_code", promo_id)


@router.post("/v1/promotion_codes/{promo_id}", sp.PromotionCodeUpdateParams)
def update_promotion_code(state: State, params: Params, promo_id: str) -> Obj:
    promo = state.get("promotion_code", promo_id)
    before = state.render(promo)
    if "active" in params:
        promo["active"] = bool(opt_bool(params, "active"))
    promo["metadata"] = merged_metadata(promo["metadata"], params.get("metadata"))
    state.emit_update("promotion_code.updated", promo, before)
    return promo


@router.get("/v1/promotion_codes", sp.PromotionCodeListParams)
def list_promotion_codes(state: State, params: Params) -> Obj:
    found = created_filter(state.all("promotion_code"), params)
    code = opt_str(params, "code")
    if code is not None:
        found = [p for p in found if p["code"].lower() == code.lower()]
    active = opt_bool(params, "active")
    if active is not None:
        found = [p for p in found if p["active"] == active]
    coupon = opt_str(params, "coupon")
    if coupon is not None:
        found = [p for p in found if p["promotion"]["coupon"] == coupon]
    customer = opt_str(params, "customer")
    if customer is not None:
        found = [p for p in found if p["customer"] == customer]
    return page(found, params, "/v1/promotion_codes")


# Discounts --------------------------------------------------------------------------


def resolve(
    state: State, entries: Any, customer_id: str, param: str
) -> list[tuple[Obj, Obj | None]]:
    """Validate `discounts[]` entries into (coupon, promotion code) pairs."""
    resolved: list[tuple[Obj, Obj | None]] = []
    for index, entry in enumerate(opt_list({"d": entries}, "d") or []):
        where = f"{param}[{index}]"
        if not isinstance(entry, dict):
            raise invalid_request("Invalid discount.", param=where)
        promo: Obj | None = None
        if entry.get("promotion_code"):
            promo = state.get(
                "promotion_code", entry["promotion_code"], param=f"{where}[promotion_code]"
            )
            expired = promo["expires_at"] is not None and promo["expires_at"] <= state.now()
            used_up = (
                promo["max_redemptions"] is not None
                and promo["times_redeemed"] >= promo["max_redemptions"]
            )
            if not promo["active"] or expired or used_up:
                raise invalid_request(
                    f"This promotion code cannot be redeemed: {promo['code']}",
                    param=f"{where}[promotion_code]",
                )
            if promo["customer"] not in (None, customer_id):
                raise invalid_request(
                    "This promotion code cannot be redeemed by this customer.",
                    param=f"{where}[promotion_code]",
                )
            coupon = state.get("coupon", promo["promotion"]["coupon"], param=where)
        elif entry.get("coupon"):
            coupon = state.get("coupon", entry["coupon"], param=f"{where}[coupon]")
        elif entry.get("discount"):
            existing = state.get("discount", entry["discount"], param=f"{where}[discount]")
            coupon = state.get("coupon", existing["source"]["coupon"])
            promo = state.find(existing["promotion_code"]) if existing["promotion_code"] else None
        else:
            raise invalid_request("A discount needs a coupon or a promotion_code.", param=where)
        if not _coupon_valid(state, coupon):
            raise invalid_request(
                f"Coupon expired: {coupon['id']}", param=where, code="coupon_expired"
            )
        resolved.append((coupon, promo))
    return resolved


def create_discounts(
    state: State,
    resolved: list[tuple[Obj, Obj | None]],
    *,
    customer_id: str,
    subscription_id: str | None,
    checkout_session: str | None = None,
) -> list[str]:
    ids: list[str] = []
    start = state.now()
    for coupon, promo in resolved:
        end = None
        if coupon["duration"] == "repeating":
            end = shift(start, "month", 1, coupon["duration_in_months"])
        discount: Obj = {
            "id": state.new_id("di"),
            "object": "discount",
            "checkout_session": checkout_session,
            "customer": customer_id,
            "end": end,
            "invoice": None,
            "invoice_item": None,
            "promotion_code": promo["id"] if promo else None,
            "start": start,
            "subscription": subscription_id,
            "subscription_item": None,
            "source": {"coupon": coupon["id"], "type": "coupon"},
            "customer_account": None,
            "_used": False,
        }
        state.add(discount)
        coupon["times_redeemed"] += 1
        coupon["valid"] = _coupon_valid(state, coupon)
        if promo is not None:
            promo["times_redeemed"] += 1
        ids.append(discount["id"])
    return ids


def active(state: State, discount: Obj, at: int) -> bool:
    coupon = state.find(discount["source"]["coupon"]) or state.deleted.get(
        discount["source"]["coupon"]
    )
    if coupon is None or "duration" not in coupon:
        return False
    if coupon["duration"] == "once":
        return not discount["_used"]
    return discount["end"] is None or at < discount["end"]


def in_force(state: State, discount_ids: list[str], at: int) -> list[tuple[str, Obj]]:
    """(discount id, coupon) for each of `discount_ids` still in force at `at`."""
    pairs = []
    for discount_id in discount_ids:
        discount = state.find(discount_id)
        if discount is not None and active(state, discount, at):
            coupon = (
                state.find(discount["source"]["coupon"])
                or state.deleted[discount["source"]["coupon"]]
            )
            pairs.append((discount_id, coupon))
    return pairs


def apply(pairs: list[tuple[str, Obj]], lines: list[Obj]) -> list[Obj]:
    """Set `discount_amounts` on `lines`; return the invoice's `total_discount_amounts`."""
    totals: list[Obj] = []
    for discount_id, coupon in pairs:
        eligible = [
            line
            for line in lines
            if line["discountable"]
            and (
                not coupon.get("_applies_to")
                or line["pricing"]["price_details"]["product"] in coupon["_applies_to"]
            )
        ]
        shares = _shares(coupon, eligible)
        for line, share in zip(eligible, shares, strict=True):
            if share:
                line["discount_amounts"].append({"amount": share, "discount": discount_id})
        totals.append({"amount": sum(shares), "discount": discount_id})
    return totals


def proration_share(coupon: Obj, amount: int, full: int) -> int:
    """What `coupon` takes off a proration of `amount` out of a period's `full` amount."""
    if coupon["percent_off"] is not None:
        return round_minor(Decimal(amount) * Decimal(str(coupon["percent_off"])) / 100)
    if full <= 0:
        return 0
    # `amount` carries the sign of a credit.
    return round_minor(Decimal(min(int(coupon["amount_off"]), full)) * amount / full)


def _shares(coupon: Obj, lines: list[Obj]) -> list[int]:
    if coupon["percent_off"] is not None:
        percent = Decimal(str(coupon["percent_off"])) / 100
        return [round_minor(Decimal(line["amount"]) * percent) for line in lines]
    positive = [max(line["amount"], 0) for line in lines]
    base = sum(positive)
    off = min(int(coupon["amount_off"]), base)
    if base == 0:
        return [0 for _ in lines]
    shares = [round_minor(Decimal(off) * amount / base) for amount in positive]
    largest = positive.index(max(positive))
    shares[largest] += off - sum(shares)
    return shares


def mark_used(state: State, discount_ids: list[str]) -> None:
    for discount_id in discount_ids:
        discount = state.find(discount_id)
        if discount is not None:
            discount["_used"] = True
