"""Catalog rules that span fields or items, checked after each item's shape is valid.

Every rule reports at the most precise path it can and keeps going, so a file with
several mistakes lists them all. Items that failed the shape check are skipped here
(their problems are already reported), and so are references to them. The rules of one
feature, of entitlements and of base plans have modules of their own
(``feature_rules``, ``entitlement_rules``, ``base_plan_rules``).

Why some rules exist:
- One currency per country within a package, and the same countries on every price of
  one billing period: a subscription is invoiced in one currency, so a plan must not
  leave a country half-priced in its local currency and half in the default one.
- A package has at most 20 prices per billing period: each price a subscription pays is
  one Stripe subscription item, and Stripe takes at most 20.
- A cancelled subscription falls back to a FREE plan, and a new customer starts on a
  FREE plan or on a trial: nobody ends up on a paid plan they did not pay for.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from app.billing.limits import SUBSCRIPTION_ITEMS
from app.catalog import feature_rules
from app.catalog.base_plan_rules import check_base_plans
from app.catalog.documents import Location, Problem
from app.catalog.entitlement_rules import Inheritance, check_entitlements
from app.catalog.money import decimal_places, minor_units
from app.models.catalog import (
    BillingModel,
    BillingPeriod,
    DiscountType,
    FeatureType,
    PackageKind,
    PricingType,
)

if TYPE_CHECKING:
    from app.catalog.schemas import (
        AddonSpec,
        CouponSpec,
        FeatureSpec,
        PlanSpec,
        PriceSpec,
        ProductSpec,
        PromotionCodeSpec,
    )

_Item = TypeVar("_Item", "ProductSpec", "FeatureSpec", "PlanSpec", "AddonSpec")

# Stripe's unit_amount_decimal takes at most 12 decimals.
PER_UNIT_DECIMALS = 12
# Stripe's percent_off takes at most 2 decimals.
PERCENT_DECIMALS = 2


@dataclass(frozen=True)
class ValidItems:
    """The items whose shape is valid, each with its index in the file."""

    products: list[tuple[int, ProductSpec]]
    features: list[tuple[int, FeatureSpec]]
    plans: list[tuple[int, PlanSpec]]
    addons: list[tuple[int, AddonSpec]]
    coupons: list[tuple[int, CouponSpec]]
    promotion_codes: list[tuple[int, PromotionCodeSpec]]


def _by_id(items: list[tuple[int, _Item]]) -> dict[str, _Item]:
    # The first of duplicate ids wins: the later ones are the mistakes being reported.
    result: dict[str, _Item] = {}
    for _, item in items:
        result.setdefault(item.id, item)
    return result


def check(items: ValidItems) -> list[Problem]:
    features = _by_id(items.features)
    products = _by_id(items.products)
    # A package whose product is unknown or invalid is already reported; relating it
    # to products and addons would only repeat that.
    plans = {k: p for k, p in _by_id(items.plans).items() if p.product in products}
    addons = {k: a for k, a in _by_id(items.addons).items() if a.product in products}
    problems: list[Problem] = []
    for index, feature in items.features:
        problems += feature_rules.check_feature(("features", index), feature)
    for index, product in items.products:
        problems += _customer_journey(("products", index), product, plans)
    found, inheritance = check_base_plans(items.plans, _by_id(items.plans), products)
    problems += found
    for index, plan in items.plans:
        relatable = addons if plan.product in products else {}
        problems += _plan(("plans", index), plan, features, relatable, inheritance[index])
    for index, addon in items.addons:
        at = ("addons", index)
        problems += _prices(at, addon.prices, features, "addon")
        problems += check_entitlements(
            at,
            addon.entitlements,
            addon.prices,
            features,
            kind=PackageKind.ADDON,
            inheritance=Inheritance(),
        )
    for index, coupon in items.coupons:
        problems += _coupon(("coupons", index), coupon)
    return problems


def _customer_journey(
    at: Location, product: ProductSpec, plans: dict[str, PlanSpec]
) -> list[Problem]:
    journey = product.customer_journey
    here = (*at, "customerJourney")
    problems: list[Problem] = []
    initial = plans.get(journey.initial_plan) if journey.initial_plan else None
    fallback = plans.get(journey.fallback_plan) if journey.fallback_plan else None
    for field, plan in (("initialPlan", initial), ("fallbackPlan", fallback)):
        if plan is not None and plan.product != product.id:
            problems.append(
                ((*here, field), f"plan {plan.id!r} belongs to product {plan.product!r}")
            )
    if journey.initial_plan_is_trial and journey.initial_plan is None:
        problems.append(((*here, "initialPlanIsTrial"), "needs an initialPlan"))
    if journey.override_requested_plan and journey.initial_plan is None:
        problems.append(((*here, "overrideRequestedPlan"), "needs an initialPlan"))
    if initial is not None:
        if journey.initial_plan_is_trial and initial.trial is None:
            problems.append(((*here, "initialPlanIsTrial"), f"plan {initial.id!r} has no trial"))
        elif not journey.initial_plan_is_trial and initial.pricing_type is not PricingType.FREE:
            problems.append(
                (
                    (*here, "initialPlan"),
                    f"plan {initial.id!r} is {initial.pricing_type}; new customers start on a "
                    "FREE plan or on a trial (initialPlanIsTrial: true)",
                )
            )
    if fallback is not None and fallback.pricing_type is not PricingType.FREE:
        problems.append(
            (
                (*here, "fallbackPlan"),
                f"plan {fallback.id!r} is {fallback.pricing_type}; a cancelled subscription "
                "can only fall back to a FREE plan",
            )
        )
    return problems


def _plan(
    at: Location,
    plan: PlanSpec,
    features: dict[str, FeatureSpec],
    addons: dict[str, AddonSpec],
    inheritance: Inheritance,
) -> list[Problem]:
    problems: list[Problem] = []
    if plan.pricing_type is PricingType.PAID and not plan.prices:
        problems.append(((*at, "prices"), "a PAID plan needs at least one price"))
    elif plan.pricing_type is not PricingType.PAID and plan.prices:
        problems.append(((*at, "prices"), f"a {plan.pricing_type} plan has no prices"))
    if plan.trial is not None and plan.pricing_type is not PricingType.PAID:
        problems.append(((*at, "trial"), "only PAID plans have a trial"))
    problems += _prices(at, plan.prices, features, "plan")
    problems += check_entitlements(
        at,
        plan.entitlements,
        plan.prices,
        features,
        kind=PackageKind.PLAN,
        inheritance=inheritance,
    )
    listed: set[str] = set()
    for index, ref in enumerate(plan.compatible_addons):
        here = (*at, "compatibleAddons", index)
        addon = addons.get(ref)
        if ref in listed:
            problems.append((here, f"addon {ref!r} is listed twice"))
        elif addon is not None and addon.product != plan.product:
            problems.append((here, f"addon {ref!r} belongs to product {addon.product!r}"))
        listed.add(ref)
    return problems


def _amount(at: Location, amount: Decimal, currency: str, *, per_unit: bool) -> list[Problem]:
    # A flat amount must be payable in the currency's smallest unit; a per-unit price
    # may be finer because only the total is rounded.
    allowed = PER_UNIT_DECIMALS if per_unit else minor_units(currency)
    if decimal_places(amount) <= allowed:
        return []
    if allowed == 0:
        return [(at, f"must be a whole amount: {currency} has no minor unit")]
    return [(at, f"must have at most {allowed} decimals in {currency}")]


def _prices(
    at: Location, prices: list[PriceSpec], features: dict[str, FeatureSpec], noun: str
) -> list[Problem]:
    problems: list[Problem] = []
    first_of_key: dict[tuple[BillingPeriod, BillingModel, str | None], int] = {}
    currency_of: dict[str | None, str] = {}  # country (None: no country) -> currency
    countries_of: dict[BillingPeriod, tuple[int, frozenset[str]]] = {}

    def same_currency(location: Location, country: str | None, currency: str) -> None:
        expected = currency_of.setdefault(country, currency)
        if currency != expected:
            prices_of = f"{country} prices" if country else "prices"
            problems.append((location, f"must be {expected} like this {noun}'s other {prices_of}"))

    for index, price in enumerate(prices):
        here = (*at, "prices", index)
        problems += _price_fields(here, price, features)
        per_unit = price.billing_model is BillingModel.PER_UNIT
        problems += _amount((*here, "amount"), price.amount, price.currency, per_unit=per_unit)
        key = (price.billing_period, price.billing_model, price.feature)
        if key in first_of_key:
            problems.append(
                (
                    here,
                    f"same billingPeriod, billingModel and feature as prices[{first_of_key[key]}]",
                )
            )
        first_of_key.setdefault(key, index)
        same_currency((*here, "currency"), None, price.currency)
        countries: set[str] = set()
        for position, country_price in enumerate(price.country_prices):
            there = (*here, "countryPrices", position)
            if country_price.country in countries:
                problems.append(((*there, "country"), f"{country_price.country} is listed twice"))
            countries.add(country_price.country)
            problems += _amount(
                (*there, "amount"), country_price.amount, country_price.currency, per_unit=per_unit
            )
            same_currency((*there, "currency"), country_price.country, country_price.currency)
        first, expected = countries_of.setdefault(
            price.billing_period, (index, frozenset(countries))
        )
        if countries != expected:
            listed = ", ".join(sorted(expected)) or "none"
            problems.append(
                (
                    (*here, "countryPrices"),
                    f"must price the same countries as prices[{first}] ({listed}): "
                    f"every {price.billing_period} price of a {noun} is billed together",
                )
            )
    for period in countries_of:
        count = sum(1 for price in prices if price.billing_period == period)
        if count > SUBSCRIPTION_ITEMS:
            problems.append(
                (
                    (*at, "prices"),
                    f"has {count} {period} prices; a subscription can pay at most "
                    f"{SUBSCRIPTION_ITEMS} (Stripe's limit of subscription items)",
                )
            )
    return problems


def _price_fields(
    here: Location, price: PriceSpec, features: dict[str, FeatureSpec]
) -> list[Problem]:
    problems: list[Problem] = []
    if price.billing_model is BillingModel.PER_UNIT:
        feature = features.get(price.feature) if price.feature else None
        if price.feature is None:
            problems.append(((*here, "feature"), "is required for a PER_UNIT price"))
        elif feature is not None and feature.feature_type is not FeatureType.NUMBER:
            problems.append(
                (
                    (*here, "feature"),
                    f"feature {price.feature!r} is {feature.feature_type}; "
                    "a PER_UNIT price needs a NUMBER feature",
                )
            )
        low, high = price.min_unit_quantity, price.max_unit_quantity
        if low is not None and high is not None and high < low:
            problems.append(((*here, "maxUnitQuantity"), "must be >= minUnitQuantity"))
        return problems
    if price.feature is not None:
        problems.append(((*here, "feature"), "only PER_UNIT prices have a feature"))
    for field, value in (
        ("minUnitQuantity", price.min_unit_quantity),
        ("maxUnitQuantity", price.max_unit_quantity),
    ):
        if value is not None:
            problems.append(((*here, field), "only PER_UNIT prices have unit quantities"))
    return problems


def _coupon(at: Location, coupon: CouponSpec) -> list[Problem]:
    value = (*at, "discountValue")
    if coupon.type is DiscountType.PERCENTAGE:
        problems: list[Problem] = []
        if coupon.discount_value > 100:
            problems.append((value, "must be <= 100 for a PERCENTAGE coupon"))
        elif decimal_places(coupon.discount_value) > PERCENT_DECIMALS:
            problems.append((value, f"must have at most {PERCENT_DECIMALS} decimals"))
        if coupon.currency is not None:
            problems.append(((*at, "currency"), "only FIXED coupons have a currency"))
        return problems
    if coupon.currency is None:
        return [((*at, "currency"), "is required for a FIXED coupon")]
    return _amount(value, coupon.discount_value, coupon.currency, per_unit=False)
