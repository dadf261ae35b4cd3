from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from app.catalog.schemas import CatalogSpec, load_catalog, parse_catalog
from app.errors import CatalogInvalid
from tests.catalog.factories import example_data, problems_of, set_at, small_catalog
from tests.conftest import EXAMPLE_CATALOG


def test_example_catalog_defines_what_the_api_examples_name() -> None:
    spec = load_catalog(EXAMPLE_CATALOG.read_text(), EXAMPLE_CATALOG.name)

    assert {p.id for p in spec.plans} >= {
        "plan-revvenu-free",
        "plan-revvenu-essentials",
        "plan-revvenu-growth",
    }
    assert {a.id for a in spec.addons} == {"addon-extra-stuff", "addon-10-campaigns"}
    assert {f.id for f in spec.features} >= {
        "feature-01-templates",
        "feature-02-campaigns",
        "feature-03-custom-domain",
        "feature-04-analytics",
        "feature-06-active-users",
    }
    assert "coupon-id" in {c.id for c in spec.coupons}
    assert [p.code for p in spec.promotion_codes] == ["STIGG30"]


def _monthly_total(spec: CatalogSpec, plan_id: str, templates: int, campaign_packs: int) -> Decimal:
    plan = next(p for p in spec.plans if p.id == plan_id)
    addon = next(a for a in spec.addons if a.id == "addon-10-campaigns")
    total = Decimal(0)
    for price in plan.prices:
        if price.billing_period == "MONTHLY":
            quantity = templates if price.billing_model == "PER_UNIT" else 1
            total += price.amount * quantity
    addon_price = next(p for p in addon.prices if p.billing_period == "MONTHLY")
    return total + addon_price.amount * campaign_packs


def test_example_prices_give_the_documented_totals() -> None:
    spec = load_catalog(EXAMPLE_CATALOG.read_text(), EXAMPLE_CATALOG.name)

    assert _monthly_total(spec, "plan-revvenu-essentials", 2, 2) == 30
    assert _monthly_total(spec, "plan-revvenu-growth", 2, 3) == 17
    assert _monthly_total(spec, "plan-revvenu-growth", 7, 2) == 17
    assert _monthly_total(spec, "plan-revvenu-growth", 0, 2) == 10


def test_invalid_file_reports_every_problem_by_path() -> None:
    data = example_data()
    data["features"][1]["featureType"] = "COLOR"
    data["features"].append({**data["features"][0], "displayName": "Copy"})
    data["plans"][2]["prices"][0]["amount"] = -1
    data["plans"][2]["prices"][1]["currency"] = "usd"
    data["plans"][2]["prices"][2]["countryPrices"][0]["country"] = "XX"
    data["plans"][3]["product"] = "no-such-product"
    data["addons"][0]["colour"] = "blue"

    assert problems_of(data) == [
        "features[1].featureType: must be one of BOOLEAN, NUMBER, ENUM",
        "features[6].id: duplicate id 'feature-01-templates' (also features[0])",
        "plans[2].prices[0].amount: must be >= 0",
        "plans[2].prices[1].currency: 'usd' is not an ISO 4217 currency code "
        "(upper-case, e.g. USD)",
        "plans[2].prices[2].countryPrices[0].country: 'XX' is not an ISO-3166-1 alpha-2 "
        "country code (e.g. DK)",
        "plans[3].product: unknown product 'no-such-product'",
        "addons[0].colour: unknown field",
    ]


def test_problems_are_listed_in_file_order() -> None:
    data = {
        "promotionCodes": [{"code": "X", "coupon": "nope"}],
        "features": [{"displayName": "F", "featureType": "NUMBER", "bogus": 1}],
    }

    assert problems_of(data) == [
        "promotionCodes[0].coupon: unknown coupon 'nope'",
        "features[0].bogus: unknown field",
        "features[0].id: is required",
    ]


def test_an_item_with_a_bad_reference_still_gets_its_rules_checked() -> None:
    data = small_catalog()
    data["plans"][0]["product"] = "ghost"
    data["plans"][0]["prices"] = [
        {"billingPeriod": "MONTHLY", "billingModel": "FLAT_FEE", "amount": 1, "currency": "USD"}
    ]

    assert problems_of(data) == [
        "plans[0].product: unknown product 'ghost'",
        "plans[0].prices: a FREE plan has no prices",
    ]


def test_a_broken_item_is_not_also_reported_as_unknown_where_referenced() -> None:
    data = small_catalog()
    data["features"][0]["featureType"] = "COUNT"

    assert problems_of(data) == ["features[0].featureType: must be one of BOOLEAN, NUMBER, ENUM"]


RULE_CASES = {
    "paid plan without prices": (
        set_at("plans.1.prices", []),
        "plans[1].prices: a PAID plan needs at least one price",
    ),
    "usd amount with three decimals": (
        set_at("plans.1.prices.0.amount", "19.999"),
        "plans[1].prices[0].amount: must have at most 2 decimals in USD",
    ),
    "jpy amount with decimals": (
        set_at(
            "addons.0.prices.0",
            {
                "billingPeriod": "MONTHLY",
                "billingModel": "FLAT_FEE",
                "amount": "500.5",
                "currency": "JPY",
            },
        ),
        "addons[0].prices[0].amount: must be a whole amount: JPY has no minor unit",
    ),
    "per-unit price without feature": (
        set_at("addons.0.prices.0.billingModel", "PER_UNIT"),
        "addons[0].prices[0].feature: is required for a PER_UNIT price",
    ),
    "flat fee with feature": (
        set_at("addons.0.prices.0.feature", "seats"),
        "addons[0].prices[0].feature: only PER_UNIT prices have a feature",
    ),
    "two currencies for one country": (
        set_at(
            "plans.1.prices.0.countryPrices",
            [
                {"country": "DK", "amount": "150", "currency": "DKK"},
                {"country": "DK", "amount": "20", "currency": "EUR"},
            ],
        ),
        "plans[1].prices[0].countryPrices[1].country: DK is listed twice",
    ),
    "usage limit on a boolean feature": (
        set_at("plans.1.entitlements.1.usageLimit", 3),
        "plans[1].entitlements[1].usageLimit: feature 'sso' is BOOLEAN; "
        "only NUMBER features have limits",
    ),
    "reset period on a non-incremental feature": (
        set_at("plans.0.entitlements.0.resetPeriod", "MONTH"),
        "plans[0].entitlements[0].resetPeriod: feature 'seats' is None; "
        "only Incremental usage resets",
    ),
    "unlimited together with a usage limit": (
        set_at("plans.0.entitlements.0.unlimited", True),
        "plans[0].entitlements[0].unlimited: cannot be true together with a usageLimit",
    ),
    "boolean feature with a meter": (
        set_at("features.1.meterType", "Incremental"),
        "features[1].meterType: must be None for a BOOLEAN feature",
    ),
    "paid fallback plan": (
        set_at("products.0.customerJourney.fallbackPlan", "pro"),
        "products[0].customerJourney.fallbackPlan: plan 'pro' is PAID; "
        "a cancelled subscription can only fall back to a FREE plan",
    ),
    "trial start on a plan without trial": (
        set_at("products.0.customerJourney.initialPlanIsTrial", True),
        "products[0].customerJourney.initialPlanIsTrial: plan 'free' has no trial",
    ),
    "percentage above 100": (
        set_at("coupons.0.discountValue", 150),
        "coupons[0].discountValue: must be <= 100 for a PERCENTAGE coupon",
    ),
    "fixed coupon without currency": (
        set_at("coupons.0.type", "FIXED"),
        "coupons[0].currency: is required for a FIXED coupon",
    ),
    "promotion code with a space": (
        set_at("promotionCodes.0.code", "HALF 50"),
        "promotionCodes[0].code: must be 1-64 letters, digits or dashes (-)",
    ),
    "promotion code with an underscore, which Stripe refuses": (
        set_at("promotionCodes.0.code", "HALF_50"),
        "promotionCodes[0].code: must be 1-64 letters, digits or dashes (-)",
    ),
    "id with a slash": (
        set_at("plans.0.id", "free/plan"),
        "plans[0].id: may contain only letters, digits, single spaces and _ . : -",
    ),
    "id ending with a space": (
        set_at("plans.0.id", "free "),
        "plans[0].id: may not end with a space or hold two spaces in a row",
    ),
    "id with two spaces in a row": (
        set_at("plans.0.id", "free  plan"),
        "plans[0].id: may not end with a space or hold two spaces in a row",
    ),
    "id starting with a space": (
        set_at("plans.0.id", " free"),
        "plans[0].id: must start with a letter or digit and be at most 255 characters",
    ),
    "yes as a boolean": (
        set_at("products.0.multipleSubscriptions", "yes"),
        "products[0].multipleSubscriptions: must be true or false",
    ),
    "naive expiry time": (
        set_at("promotionCodes.0.expiresAt", "2030-01-01T00:00:00"),
        "promotionCodes[0].expiresAt: must include a time zone, e.g. 2026-12-31T23:59:59Z",
    ),
}


@pytest.mark.parametrize(("edit", "problem"), RULE_CASES.values(), ids=RULE_CASES.keys())
def test_rule_violation_is_reported_at_its_path(
    edit: Callable[[dict[str, Any]], None], problem: str
) -> None:
    data = small_catalog()
    edit(data)

    assert problem in problems_of(data)


def test_small_catalog_is_valid() -> None:
    assert parse_catalog(small_catalog()).plans[1].id == "pro"


def test_per_unit_prices_may_be_finer_than_the_currency() -> None:
    data = small_catalog()
    data["plans"][1]["prices"].append(
        {
            "billingPeriod": "MONTHLY",
            "billingModel": "PER_UNIT",
            "feature": "seats",
            "amount": "0.000000000001",
            "currency": "USD",
            "countryPrices": [{"country": "DK", "amount": "0.0000001", "currency": "DKK"}],
        }
    )
    data["plans"][1]["entitlements"] = [{"feature": "sso"}]

    price = parse_catalog(data).plans[1].prices[1]

    assert price.amount == Decimal("0.000000000001")


def test_yaml_syntax_error_is_one_problem_with_its_line() -> None:
    with pytest.raises(CatalogInvalid) as caught:
        load_catalog("features:\n  - id: f1\n    displayName: [F\n", "catalog.yaml")

    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith("catalog.yaml:4:1: invalid YAML:")


def test_yaml_key_written_twice_is_a_problem() -> None:
    with pytest.raises(CatalogInvalid) as caught:
        load_catalog("coupons: []\ncoupons: []\n", "catalog.yml")

    assert caught.value.problems == ["catalog.yml:2:1: invalid YAML: found duplicate key 'coupons'"]


def test_yaml_numbers_are_exact_and_no_stays_a_country() -> None:
    text = (
        "products: [{id: p, displayName: P}]\n"
        "plans:\n"
        "  - {id: x, product: p, displayName: X, pricingType: PAID, prices: [\n"
        "     {billingPeriod: MONTHLY, billingModel: FLAT_FEE, amount: 19.99, currency: USD,\n"
        "      countryPrices: [{country: NO, amount: 219.90, currency: NOK}]}]}\n"
    )

    price = load_catalog(text, "catalog.yaml").plans[0].prices[0]

    assert price.amount == Decimal("19.99")
    assert isinstance(price.amount, Decimal)
    assert price.country_prices[0].country == "NO"


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(value)


def test_json_catalog_reads_like_the_yaml_one() -> None:
    text = json.dumps(example_data(), default=_plain, indent=2)

    from_json = load_catalog(text, "catalog.json")

    assert from_json == load_catalog(EXAMPLE_CATALOG.read_text(), EXAMPLE_CATALOG.name)


def test_json_syntax_error_is_one_problem_with_its_line() -> None:
    with pytest.raises(CatalogInvalid) as caught:
        load_catalog('{\n  "features": [,]\n}', "catalog.json")

    assert caught.value.problems == ["catalog.json:2:16: invalid JSON: Expecting value"]


def test_promotion_codes_are_upper_case() -> None:
    assert parse_catalog(small_catalog()).promotion_codes[0].code == "HALF50"


def test_promotion_codes_differing_only_in_case_are_duplicates() -> None:
    data = small_catalog()
    data["promotionCodes"].append({"code": "Half50", "coupon": "half"})

    assert problems_of(data) == [
        "promotionCodes[1].code: duplicate code 'HALF50' (also promotionCodes[0])"
    ]


def test_empty_file_is_refused_rather_than_archiving_everything() -> None:
    with pytest.raises(CatalogInvalid) as caught:
        load_catalog("# nothing yet\n", "catalog.yaml")

    assert caught.value.problems == [
        "catalog.yaml: the file is empty; write {} for an empty catalog"
    ]


def test_unknown_file_type_is_refused() -> None:
    with pytest.raises(CatalogInvalid) as caught:
        load_catalog("products = []", "catalog.toml")

    assert caught.value.problems == [
        "catalog.toml: unsupported file type; use .yaml, .yml or .json"
    ]


def test_top_level_must_be_a_mapping_of_lists() -> None:
    assert problems_of({"plans": {"id": "x"}, "extras": []}) == [
        "plans: must be a list",
        "extras: unknown field",
    ]


def _per_unit_prices(data: dict[str, Any], count: int, period: str) -> list[dict[str, Any]]:
    features = [f"meter-{n:02}" for n in range(count)]
    data["features"] += [
        {"id": ref, "displayName": ref, "featureType": "NUMBER"}
        for ref in features
        if ref not in {f["id"] for f in data["features"]}
    ]
    return [
        {
            "billingPeriod": period,
            "billingModel": "PER_UNIT",
            "feature": ref,
            "amount": "1",
            "currency": "USD",
            "countryPrices": [{"country": "DK", "amount": "7", "currency": "DKK"}],
        }
        for ref in features
    ]


def test_a_plan_with_more_prices_per_period_than_stripe_takes_items_is_refused() -> None:
    data = small_catalog()
    data["plans"][1]["prices"] += _per_unit_prices(data, 20, "MONTHLY")

    assert (
        "plans[1].prices: has 21 MONTHLY prices; a subscription can pay at most 20 "
        "(Stripe's limit of subscription items)"
    ) in problems_of(data)


def test_twenty_prices_per_period_are_taken() -> None:
    data = small_catalog()
    data["plans"][1]["prices"] += _per_unit_prices(data, 19, "MONTHLY")
    data["plans"][1]["prices"] += _per_unit_prices(data, 19, "ANNUALLY")

    assert len(parse_catalog(data).plans[1].prices) == 39
