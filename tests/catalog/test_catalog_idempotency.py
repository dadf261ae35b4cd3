"""Property: applying any valid catalog a second time changes nothing."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import Session, select

from app.models import Environment, Package
from tests.catalog.factories import apply, row_counts

_names = st.from_regex(r"[a-z][a-z0-9-]{0,6}", fullmatch=True)
_amounts = st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False)
_OPERATIONS = [
    "EQUALS",
    "NOT_EQUALS",
    "GREATER_THAN",
    "GREATER_THAN_OR_EQUAL",
    "LESS_THAN",
    "LESS_THAN_OR_EQUAL",
    "CONTAINS",
    "STARTS_WITH",
    "ENDS_WITH",
    "IN",
    "IS_NULL",
    "IS_NOT_NULL",
]
_ACCORDING_TO = {
    "MONTH": ["SubscriptionStart", "StartOfTheMonth"],
    "WEEK": ["SubscriptionStart", "EveryMonday", "EverySunday"],
    "YEAR": ["SubscriptionStart"],
}


@st.composite
def _features(draw: st.DrawFn) -> list[dict[str, Any]]:
    features = []
    for name in draw(st.lists(_names, min_size=1, max_size=4, unique=True)):
        feature_type = draw(st.sampled_from(["BOOLEAN", "NUMBER", "ENUM"]))
        meter = "None"
        if feature_type == "NUMBER":
            meter = draw(st.sampled_from(["None", "Fluctuating", "Incremental"]))
        feature: dict[str, Any] = {
            "id": f"f-{name}",
            "displayName": name,
            "featureType": feature_type,
            "meterType": meter,
        }
        if feature_type == "ENUM":
            values = draw(st.lists(_names, min_size=1, max_size=3, unique=True))
            feature["enumValues"] = [{"value": v, "displayName": v.upper()} for v in values]
        if meter == "Incremental" and draw(st.booleans()):
            feature["meter"] = draw(_meters())
        features.append(feature)
    return features


@st.composite
def _meters(draw: st.DrawFn) -> dict[str, Any]:
    def condition(operation: str) -> dict[str, Any]:
        found: dict[str, Any] = {"field": draw(_names), "operation": operation}
        if operation == "IN":
            found["values"] = draw(st.lists(_names, min_size=1, max_size=3))
        elif operation not in ("IS_NULL", "IS_NOT_NULL"):
            found["value"] = draw(_names | st.integers(-5, 5).map(str))
        return found

    groups = draw(st.lists(st.lists(st.sampled_from(_OPERATIONS), min_size=1, max_size=3)))
    function = draw(st.sampled_from(["COUNT", "SUM", "AVG", "MIN", "MAX", "UNIQUE"]))
    aggregation = {"function": function}
    if function != "COUNT":
        aggregation["field"] = draw(_names)
    return {
        "eventName": draw(_names),
        "filters": [{"conditions": [condition(op) for op in group]} for group in groups],
        "aggregation": aggregation,
    }


def _entitlement(draw: st.DrawFn, feature: dict[str, Any]) -> dict[str, Any]:
    if feature["featureType"] == "BOOLEAN":
        return {"feature": feature["id"]}
    if feature["featureType"] == "ENUM":
        offered = [v["value"] for v in feature["enumValues"]]
        values = draw(st.lists(st.sampled_from(offered), min_size=1, unique=True))
        return {"feature": feature["id"], "enumValues": values}
    if draw(st.booleans()):
        return {"feature": feature["id"], "unlimited": True}
    entitlement: dict[str, Any] = {
        "feature": feature["id"],
        "usageLimit": draw(st.integers(0, 1000)),
        "hasSoftLimit": draw(st.booleans()),
    }
    if feature["meterType"] == "Incremental" and draw(st.booleans()):
        period = draw(st.sampled_from(["DAY", "WEEK", "MONTH", "YEAR"]))
        entitlement["resetPeriod"] = period
        if period in _ACCORDING_TO and draw(st.booleans()):
            according_to = draw(st.sampled_from(_ACCORDING_TO[period]))
            entitlement["resetPeriodConfiguration"] = {"accordingTo": according_to}
    return entitlement


def _package(
    draw: st.DrawFn, ref_id: str, product: str, features: list[dict[str, Any]], paid: bool
) -> dict[str, Any]:
    numbers = [f for f in features if f["featureType"] == "NUMBER"]
    per_unit = draw(st.sampled_from([None, *numbers])) if paid else None
    local = draw(st.booleans())
    prices = []
    periods = (
        st.sets(st.sampled_from(["MONTHLY", "ANNUALLY"]), min_size=1) if paid else st.just(set())
    )
    for period in sorted(draw(periods)):
        models = [("FLAT_FEE", None)] + ([("PER_UNIT", per_unit["id"])] if per_unit else [])
        for model, feature in models:
            price: dict[str, Any] = {
                "billingPeriod": period,
                "billingModel": model,
                "amount": draw(_amounts),
                "currency": "USD",
            }
            if feature:
                price["feature"] = feature
            if local:
                price["countryPrices"] = [
                    {"country": "DK", "amount": draw(_amounts) * 7, "currency": "DKK"}
                ]
            prices.append(price)
    entitled = draw(st.lists(st.sampled_from(features), unique_by=lambda f: f["id"]))
    return {
        "id": ref_id,
        "product": product,
        "displayName": draw(_names),
        "prices": prices,
        "entitlements": [_entitlement(draw, f) for f in entitled if f is not per_unit],
    }


@st.composite
def _catalogs(draw: st.DrawFn) -> dict[str, Any]:
    features = draw(_features())
    catalog: dict[str, Any] = {"products": [], "features": features, "plans": [], "addons": []}
    for product in draw(st.lists(_names, min_size=1, max_size=2, unique=True)):
        catalog["products"].append({"id": product, "displayName": product})
        addons = []
        for name in draw(st.lists(_names, max_size=2, unique=True)):
            addon = _package(draw, f"{product}.addon-{name}", product, features, paid=True)
            addon["maxQuantity"] = draw(st.none() | st.integers(1, 10))
            for entitlement in addon["entitlements"]:
                behavior = draw(st.sampled_from([None, "Increment", "Override"]))
                if behavior is not None:
                    entitlement["behavior"] = behavior
            addons.append(addon)
        for name in draw(st.lists(_names, min_size=1, max_size=3, unique=True)):
            paid = draw(st.booleans())
            plan = _package(draw, f"{product}.plan-{name}", product, features, paid=paid)
            plan["pricingType"] = "PAID" if paid else "FREE"
            if paid and draw(st.booleans()):
                plan["trial"] = {"days": draw(st.integers(1, 30))}
            plan["compatibleAddons"] = [a["id"] for a in addons if draw(st.booleans())]
            # A plan may build on an earlier plan of its product, which keeps chains acyclic.
            earlier = [p["id"] for p in catalog["plans"] if p["product"] == product]
            if earlier and draw(st.booleans()):
                plan["basePlan"] = draw(st.sampled_from(earlier))
            catalog["plans"].append(plan)
        catalog["addons"] += addons
    catalog["coupons"] = [
        {"id": f"c-{name}", "name": name, "type": "PERCENTAGE", "discountValue": value}
        for name, value in draw(
            st.lists(st.tuples(_names, st.integers(1, 100)), max_size=2, unique_by=lambda t: t[0])
        )
    ]
    catalog["promotionCodes"] = [
        {"code": f"code-{coupon['id']}", "coupon": coupon["id"]} for coupon in catalog["coupons"]
    ]
    return catalog


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(catalog=_catalogs())
def test_applying_any_valid_catalog_twice_changes_nothing(
    session: Session, catalog: dict[str, Any]
) -> None:
    # A fresh environment per example: examples share the test's database.
    environment = Environment(name=f"env-{uuid.uuid4().hex[:12]}")
    session.add(environment)
    session.commit()
    first = apply(session, environment, catalog)
    counts = row_counts(session)

    second = apply(session, environment, catalog)

    assert first.changed
    assert not second.changed, second.summary()
    assert row_counts(session) == counts
    versions = session.exec(
        select(func.max(Package.version_number)).where(Package.environment_id == environment.id)
    ).one()
    assert versions in (None, 1)
    assert all(
        isinstance(p["amount"], Decimal) for plan in catalog["plans"] for p in plan["prices"]
    )
