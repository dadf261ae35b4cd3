"""The catalog file: its shape, and the one way to read it.

A catalog is declared in YAML or JSON with the platform's camelCase names and applied
whole to one environment. Reading never stops at the first mistake: every problem is
reported as ``path: message`` (``plans[2].prices[0].amount: must be >= 0``), in file
order, so one round of edits can fix them all. That takes three passes:

1. Shape. Each top-level item is validated on its own, so one broken plan does not hide
   the problems of the next. References (a plan's product, a price's feature, ...) are
   checked here against the ids the file declares, valid items or not, so one mistake
   in a product does not also produce "unknown product" on every plan that names it.
2. Duplicate ids within each list.
3. Rules that span fields or items (``app.catalog.rules``), on the items that passed 1.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, StrictBool, ValidationError

from app.catalog import rules
from app.catalog.documents import (
    DocumentError,
    Problem,
    in_file_order,
    message_for,
    read_document,
)
from app.catalog.fields import (
    MAX_AMOUNT,
    REFERENCE_ERROR,
    AddonRef,
    Amount,
    Country,
    CouponRef,
    Currency,
    Description,
    FeatureRef,
    Metadata,
    Name,
    PlanRef,
    ProductRef,
    PromotionCode,
    Quantity,
    RefId,
    Spec,
)
from app.catalog.meter_specs import MeterSpec
from app.errors import CatalogInvalid
from app.models.catalog import (
    BillingModel,
    BillingPeriod,
    CatalogStatus,
    DiscountType,
    EntitlementBehavior,
    FeatureType,
    MeterType,
    MonthlyAccordingTo,
    PricingType,
    ResetPeriod,
    TrialEndBehavior,
)
from app.validation import UTCDatetime

# The same value in the monthly, weekly and yearly configurations.
SUBSCRIPTION_START = MonthlyAccordingTo.SUBSCRIPTION_START.value


class CustomerJourneySpec(Spec):
    initial_plan: PlanRef | None = None
    initial_plan_is_trial: StrictBool = False
    # Provision new customers on the initial plan even when a plan was requested.
    override_requested_plan: StrictBool = False
    fallback_plan: PlanRef | None = None


class ProductSpec(Spec):
    id: RefId
    display_name: Name
    description: Description = None
    additional_meta_data: Metadata = None
    multiple_subscriptions: StrictBool = False
    customer_journey: CustomerJourneySpec = Field(default_factory=CustomerJourneySpec)


class EnumValueSpec(Spec):
    value: Name
    display_name: Name


class FeatureSpec(Spec):
    id: RefId
    display_name: Name
    description: Description = None
    feature_type: FeatureType
    meter_type: MeterType = MeterType.NONE
    units: Annotated[str | None, Field(max_length=64)] = None
    units_plural: Annotated[str | None, Field(max_length=64)] = None
    # ENUM features: the values an entitlement may grant.
    enum_values: list[EnumValueSpec] | None = None
    # NUMBER features counted from raw events.
    meter: MeterSpec | None = None
    additional_meta_data: Metadata = None


class CountryPriceSpec(Spec):
    country: Country
    amount: Amount
    currency: Currency


class PriceSpec(Spec):
    billing_period: BillingPeriod
    billing_model: BillingModel
    feature: FeatureRef | None = None
    amount: Amount
    currency: Currency
    min_unit_quantity: Annotated[int | None, Field(ge=1)] = None
    max_unit_quantity: Annotated[int | None, Field(ge=1)] = None
    country_prices: list[CountryPriceSpec] = []


class TrialSpec(Spec):
    days: Annotated[int, Field(ge=1, le=730)]
    end_behavior: TrialEndBehavior = TrialEndBehavior.CONVERT_TO_PAID


class ResetPeriodConfigurationSpec(Spec):
    # One of the reset period's ...AccordingTo values; the rules check which.
    according_to: Name


class EntitlementSpec(Spec):
    feature: FeatureRef
    usage_limit: Quantity | None = None
    unlimited: StrictBool = False
    # Usage may go beyond usageLimit; checks still grant the feature.
    has_soft_limit: StrictBool = False
    reset_period: ResetPeriod | None = None
    reset_period_configuration: ResetPeriodConfigurationSpec | None = None
    # ENUM features: the values granted, each one the feature declares.
    enum_values: list[Name] | None = None
    # Addons only: add to the plan's limit (Increment, the default) or replace it.
    behavior: EntitlementBehavior | None = None
    # False on a plan with a basePlan: takes away a feature the base plan grants.
    is_granted: StrictBool = True

    @property
    def reset_according_to(self) -> str | None:
        """The configured start of each usage period; None for the subscription's start.

        SubscriptionStart is what an entitlement without a configuration does, so
        writing it out changes neither the stored entitlement nor the version.
        """
        configuration = self.reset_period_configuration
        if configuration is None or configuration.according_to == SUBSCRIPTION_START:
            return None
        return configuration.according_to

    @property
    def entitlement_behavior(self) -> EntitlementBehavior:
        return self.behavior or EntitlementBehavior.INCREMENT


class PlanSpec(Spec):
    id: RefId
    product: ProductRef
    display_name: Name
    description: Description = None
    additional_meta_data: Metadata = None
    pricing_type: PricingType
    prices: list[PriceSpec] = []
    trial: TrialSpec | None = None
    # The plan whose entitlements this one inherits (same product); its own replace them.
    base_plan: PlanRef | None = None
    entitlements: list[EntitlementSpec] = []
    compatible_addons: list[AddonRef] = []


class AddonSpec(Spec):
    id: RefId
    product: ProductRef
    display_name: Name
    description: Description = None
    additional_meta_data: Metadata = None
    prices: list[PriceSpec] = []
    entitlements: list[EntitlementSpec] = []
    max_quantity: Annotated[int | None, Field(ge=1)] = None


class CouponSpec(Spec):
    id: RefId
    name: Name
    description: Description = None
    type: DiscountType
    # PERCENTAGE: percent off (0 < v <= 100). FIXED: amount off in ``currency``.
    discount_value: Annotated[Decimal, Field(gt=0, le=MAX_AMOUNT, decimal_places=6)]
    currency: Currency | None = None
    duration_in_months: Annotated[int | None, Field(ge=1)] = None
    status: CatalogStatus = CatalogStatus.ACTIVE
    additional_meta_data: Metadata = None


class PromotionCodeSpec(Spec):
    # Customers type codes in any case; they are stored and matched upper-case.
    code: PromotionCode
    coupon: CouponRef
    max_redemptions: Annotated[int | None, Field(ge=1)] = None
    expires_at: UTCDatetime | None = None
    active: StrictBool = True


class TaxRateSpec(Spec):
    id: RefId
    display_name: Name
    percentage: Annotated[Decimal, Field(gt=0, le=100, decimal_places=4)]
    # Inclusive rates are already inside the prices; exclusive ones are added on top.
    inclusive: StrictBool = False
    country: Country | None = None
    status: CatalogStatus = CatalogStatus.ACTIVE


class CatalogSpec(Spec):
    products: list[ProductSpec] = []
    features: list[FeatureSpec] = []
    plans: list[PlanSpec] = []
    addons: list[AddonSpec] = []
    coupons: list[CouponSpec] = []
    promotion_codes: list[PromotionCodeSpec] = []
    tax_rates: list[TaxRateSpec] = []


# File key -> (model of one item, the reference noun its ``id`` declares).
_SECTIONS: dict[str, tuple[type[Spec], str]] = {
    "products": (ProductSpec, "product"),
    "features": (FeatureSpec, "feature"),
    "plans": (PlanSpec, "plan"),
    "addons": (AddonSpec, "addon"),
    "coupons": (CouponSpec, "coupon"),
    "promotionCodes": (PromotionCodeSpec, "promotion code"),
    "taxRates": (TaxRateSpec, "tax rate"),
}


def _item_key(section: str, item: object) -> str | None:
    """The id an item declares, as the database will key it (codes are upper-case)."""
    if not isinstance(item, dict):
        return None
    key = item.get("code") if section == "promotionCodes" else item.get("id")
    if not isinstance(key, str):
        return None
    return key.upper() if section == "promotionCodes" else key


def _duplicates(section: str, items: list[Any]) -> list[Problem]:
    field, noun = ("code", "code") if section == "promotionCodes" else ("id", "id")
    first: dict[str, int] = {}
    problems: list[Problem] = []
    for index, item in enumerate(items):
        key = _item_key(section, item)
        if key is None:
            continue
        if key in first:
            problems.append(
                (
                    (section, index, field),
                    f"duplicate {noun} {key!r} (also {section}[{first[key]}])",
                )
            )
        else:
            first[key] = index
    return problems


def _sections(data: object) -> tuple[dict[str, list[Any]], list[Problem]]:
    if not isinstance(data, dict):
        expected = ", ".join(_SECTIONS)
        return {}, [((), f"must be a mapping with any of {expected}")]
    sections: dict[str, list[Any]] = {}
    problems: list[Problem] = []
    for key, value in data.items():
        if key not in _SECTIONS:
            problems.append(((str(key),), "unknown field"))
        elif value is None:  # ``addons:`` with nothing under it
            sections[key] = []
        elif not isinstance(value, list):
            problems.append(((key,), "must be a list"))
        else:
            sections[key] = value
    return sections, problems


def parse_catalog(data: object) -> CatalogSpec:
    """A validated catalog, or ``CatalogInvalid`` listing every problem in file order."""
    sections, problems = _sections(data)
    known = {
        noun: frozenset(
            key for item in sections.get(section, []) if (key := _item_key(section, item))
        )
        for section, (_, noun) in _SECTIONS.items()
    }
    valid: dict[str, list[tuple[int, Any]]] = {section: [] for section in _SECTIONS}
    for section, (model, _) in _SECTIONS.items():
        items = sections.get(section, [])
        problems.extend(_duplicates(section, items))
        for index, item in enumerate(items):
            try:
                spec = model.model_validate(item, context={"known": known})
            except ValidationError as exc:
                errors = exc.errors()
                problems.extend(
                    ((section, index, *error["loc"]), message_for(error)) for error in errors
                )
                if any(error["type"] != REFERENCE_ERROR for error in errors):
                    continue
                # Only references are wrong: the item's own rules can still be checked.
                spec = model.model_validate(item)
            valid[section].append((index, spec))
    problems.extend(
        rules.check(
            rules.ValidItems(
                products=valid["products"],
                features=valid["features"],
                plans=valid["plans"],
                addons=valid["addons"],
                coupons=valid["coupons"],
                promotion_codes=valid["promotionCodes"],
            )
        )
    )
    if problems:
        raise CatalogInvalid(in_file_order(problems, data))
    return CatalogSpec.model_validate(
        {section: [spec for _, spec in valid[section]] for section in _SECTIONS}
    )


def load_catalog(text: str, filename: str) -> CatalogSpec:
    """Parse catalog file ``text``; ``filename`` picks YAML or JSON and names the file."""
    try:
        data = read_document(text, filename)
    except DocumentError as exc:
        raise CatalogInvalid([exc.message]) from None
    if data is None:
        raise CatalogInvalid([f"{filename}: the file is empty; write {{}} for an empty catalog"])
    return parse_catalog(data)
