"""Products and prices.

Prices are per-unit (licensed or metered) with an optional recurring interval;
`lookup_key` is unique, and taking it from another price needs
`transfer_lookup_key=true`, as in Stripe, so a catalog sync can find its prices again.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

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
from ..listing import created_filter, page, search
from ..periods import round_minor
from ..routing import router
from ..state import Obj, State

_INTERVALS = ("day", "week", "month", "year")
# "accepts a decimal value in cents ... with at most 12 decimal places"
# (stripe.params.PriceCreateParams.unit_amount_decimal).
MAX_DECIMAL_PLACES = 12


def new_product(state: State, params: Params) -> Obj:
    now = state.now()
    product_id = opt_str(params, "id") or state.new_id("prod", 14)
    if state.find(product_id) is not None:
        raise invalid_request(
            f"Product already exists: {product_id}", param="id", code="resource_already_exists"
        )
    product: Obj = {
        "id": product_id,
        "object": "product",
        "active": opt_bool(params, "active") is not False,
        "created": now,
        "default_price": None,
        "description": opt_str(params, "description"),
        "images": [str(x) for x in opt_list(params, "images") or []],
        "livemode": False,
        "marketing_features": [],
        "metadata": merged_metadata({}, params.get("metadata")),
        "name": str(required(params, "name")),
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": opt_str(params, "statement_descriptor"),
        "tax_code": opt_str(params, "tax_code"),
        "unit_label": opt_str(params, "unit_label"),
        "updated": now,
        "url": opt_str(params, "url"),
        "type": "service",
    }
    return state.add(product)


def _recurring(params: Params) -> Obj | None:
    recurring = opt_dict(params, "recurring")
    if recurring is None:
        return None
    interval = recurring.get("interval")
    if interval not in _INTERVALS:
        raise invalid_request(
            "Invalid recurring[interval]: must be one of day, week, month, or year",
            param="recurring[interval]",
        )
    trial_days = recurring.get("trial_period_days")
    return {
        "interval": interval,
        "interval_count": to_int(recurring.get("interval_count", 1), "recurring[interval_count]"),
        "meter": recurring.get("meter") or None,
        "usage_type": recurring.get("usage_type") or "licensed",
        "trial_period_days": to_int(trial_days, "recurring[trial_period_days]")
        if trial_days
        else None,
    }


def _unit_amount(params: Params) -> tuple[int | None, str]:
    """`unit_amount` and `unit_amount_decimal` as a price shows them.

    Stripe keeps the decimal exactly (up to 12 decimal places) and shows `unit_amount`
    only when the amount is a whole number of minor units ("represented as a whole
    integer if possible"), so a price of half a cent has `unit_amount: null`.
    """
    amount = opt_int(params, "unit_amount")
    decimal_value = opt_str(params, "unit_amount_decimal")
    if amount is not None and decimal_value is not None:
        raise parameter_error(
            "You may only specify one of these parameters: unit_amount, unit_amount_decimal.",
            param="unit_amount_decimal",
            code="parameters_exclusive",
        )
    if amount is not None:
        if amount < 0:
            raise _invalid_amount("unit_amount", "a non-negative integer")
        return amount, str(amount)
    if decimal_value is None:
        if "custom_unit_amount" in params or "tiers" in params:
            raise invalid_request(
                "Tiered and customer-chosen prices are not supported by the Stripe test server.",
                param="billing_scheme",
            )
        raise invalid_request("Missing required param: unit_amount.", param="unit_amount")
    try:
        exact = Decimal(decimal_value)
    except InvalidOperation:
        raise _invalid_amount("unit_amount_decimal", "a decimal") from None
    if not exact.is_finite() or exact < 0:
        raise _invalid_amount("unit_amount_decimal", "a non-negative decimal")
    exact = exact.normalize()
    if -int(exact.as_tuple().exponent) > MAX_DECIMAL_PLACES:
        raise _invalid_amount(
            "unit_amount_decimal", f"a decimal with at most {MAX_DECIMAL_PLACES} decimal places"
        )
    whole = exact == exact.to_integral_value()
    return (int(exact) if whole else None), f"{exact:f}"


def _invalid_amount(name: str, what: str) -> Exception:
    return parameter_error(f"Invalid {name}: must be {what}", param=name, code="parameter_invalid")


def unit_amount(price: Obj) -> Decimal:
    """A price's exact amount per unit, in minor units."""
    return Decimal(price["unit_amount_decimal"])


def line_amount(price: Obj, quantity: int) -> int:
    """What `quantity` units cost on one invoice line: the exact product, rounded half up
    to a whole minor unit once per line (0.5 cent x 1000 is 500, never 0)."""
    return round_minor(unit_amount(price) * quantity)


def _claim_lookup_key(state: State, key: str | None, transfer: bool, price_id: str) -> None:
    if key is None:
        return
    for other in state.all("price"):
        if other["lookup_key"] == key and other["id"] != price_id:
            if not transfer:
                raise invalid_request(
                    f"A price (`{other['id']}`) already uses that lookup key.",
                    param="lookup_key",
                )
            other["lookup_key"] = None


def new_price(state: State, params: Params, *, product_id: str | None = None) -> Obj:
    if product_id is None:
        product_data = opt_dict(params, "product_data")
        if product_data is not None:
            product = new_product(state, product_data)
            state.emit("product.created", product)
            product_id = product["id"]
        else:
            product_id = state.get("product", required(params, "product"), param="product")["id"]
    if params.get("billing_scheme", "per_unit") != "per_unit":
        raise invalid_request(
            "Tiered prices are not supported by the Stripe test server.", param="billing_scheme"
        )
    amount, amount_decimal = _unit_amount(params)
    recurring = _recurring(params)
    price: Obj = {
        "id": state.new_id("price"),
        "object": "price",
        "active": opt_bool(params, "active") is not False,
        "billing_scheme": "per_unit",
        "created": state.now(),
        "currency": str(required(params, "currency")).lower(),
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": opt_str(params, "lookup_key"),
        "metadata": merged_metadata({}, params.get("metadata")),
        "nickname": opt_str(params, "nickname"),
        "product": product_id,
        "recurring": recurring,
        "tax_behavior": opt_str(params, "tax_behavior") or "unspecified",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "recurring" if recurring else "one_time",
        "unit_amount": amount,
        "unit_amount_decimal": amount_decimal,
    }
    _claim_lookup_key(
        state, price["lookup_key"], bool(opt_bool(params, "transfer_lookup_key")), price["id"]
    )
    return state.add(price)


def plan_of(price: Obj) -> Obj | None:
    """The legacy `plan` view of a recurring price, still embedded in subscription items."""
    recurring = price.get("recurring")
    if recurring is None:
        return None
    return {
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": price["billing_scheme"],
        "created": price["created"],
        "currency": price["currency"],
        "interval": recurring["interval"],
        "interval_count": recurring["interval_count"],
        "livemode": False,
        "metadata": dict(price["metadata"]),
        "meter": recurring["meter"],
        "nickname": price["nickname"],
        "product": price["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": recurring["trial_period_days"],
        "usage_type": recurring["usage_type"],
    }


@router.get("/v1/products/search", sp.ProductSearchParams)
def search_products(state: State, params: Params) -> Obj:
    return search(state.all("product"), params, "/v1/products/search")


@router.post("/v1/products", sp.ProductCreateParams)
def create_product(state: State, params: Params) -> Obj:
    product = new_product(state, params)
    state.emit("product.created", product)
    default_price = opt_dict(params, "default_price_data")
    if default_price is not None:
        price = new_price(state, default_price, product_id=product["id"])
        state.emit("price.created", price)
        product["default_price"] = price["id"]
    return product


@router.get("/v1/products/{product_id}", sp.ProductRetrieveParams)
def retrieve_product(state: State, params: Params, product_id: str) -> Obj:
    return state.deleted.get(product_id) or state.get("product", product_id)


@router.post("/v1/products/{product_id}", sp.ProductUpdateParams)
def update_product(state: State, params: Params, product_id: str) -> Obj:
    product = state.get("product", product_id)
    before = state.render(product)
    for field in ("name", "description", "statement_descriptor", "tax_code", "unit_label", "url"):
        if field in params:
            product[field] = opt_str(params, field)
    if "active" in params:
        product["active"] = bool(opt_bool(params, "active"))
    if "default_price" in params:
        value = opt_str(params, "default_price")
        product["default_price"] = (
            state.get("price", value, param="default_price")["id"] if value else None
        )
    product["metadata"] = merged_metadata(product["metadata"], params.get("metadata"))
    product["updated"] = state.now()
    state.emit_update("product.updated", product, before)
    return product


@router.delete("/v1/products/{product_id}", sp.ProductDeleteParams)
def delete_product(state: State, params: Params, product_id: str) -> Obj:
    product = state.get("product", product_id)
    if any(p["product"] == product_id for p in state.all("price")):
        raise invalid_request(
            "This product cannot be deleted because it has one or more user-created prices."
        )
    state.emit("product.deleted", product)
    return state.remove(product)


@router.get("/v1/products", sp.ProductListParams)
def list_products(state: State, params: Params) -> Obj:
    found = created_filter(state.all("product"), params)
    active = opt_bool(params, "active")
    if active is not None:
        found = [p for p in found if p["active"] == active]
    ids = opt_list(params, "ids")
    if ids is not None:
        found = [p for p in found if p["id"] in ids]
    return page(found, params, "/v1/products")


@router.get("/v1/prices/search", sp.PriceSearchParams)
def search_prices(state: State, params: Params) -> Obj:
    return search(state.all("price"), params, "/v1/prices/search")


@router.post("/v1/prices", sp.PriceCreateParams)
def create_price(state: State, params: Params) -> Obj:
    price = new_price(state, params)
    state.emit("price.created", price)
    return price


@router.get("/v1/prices/{price_id}", sp.PriceRetrieveParams)
def retrieve_price(state: State, params: Params, price_id: str) -> Obj:
    return state.get("price", price_id)


@router.post("/v1/prices/{price_id}", sp.PriceUpdateParams)
def update_price(state: State, params: Params, price_id: str) -> Obj:
    price = state.get("price", price_id)
    before = state.render(price)
    if "active" in params:
        price["active"] = bool(opt_bool(params, "active"))
    if "nickname" in params:
        price["nickname"] = opt_str(params, "nickname")
    if "tax_behavior" in params:
        price["tax_behavior"] = opt_str(params, "tax_behavior") or "unspecified"
    if "lookup_key" in params:
        key = opt_str(params, "lookup_key")
        _claim_lookup_key(state, key, bool(opt_bool(params, "transfer_lookup_key")), price_id)
        price["lookup_key"] = key
    price["metadata"] = merged_metadata(price["metadata"], params.get("metadata"))
    state.emit_update("price.updated", price, before)
    return price


@router.get("/v1/prices", sp.PriceListParams)
def list_prices(state: State, params: Params) -> Obj:
    found = created_filter(state.all("price"), params)
    active = opt_bool(params, "active")
    if active is not None:
        found = [p for p in found if p["active"] == active]
    for field in ("currency", "product", "type"):
        value = opt_str(params, field)
        if value is not None:
            found = [p for p in found if p[field] == value]
    keys = opt_list(params, "lookup_keys")
    if keys is not None:
        found = [p for p in found if p["lookup_key"] in keys]
    recurring = opt_dict(params, "recurring") or {}
    for field in ("interval", "usage_type"):
        if recurring.get(field):
            found = [
                p for p in found if p["recurring"] and p["recurring"][field] == recurring[field]
            ]
    return page(found, params, "/v1/prices")
