"""What defines a version of a plan or an addon, as a digest.

A package gets a new version exactly when its ``content_hash`` changes, so the hash
covers everything a subscription buys (prices with their country prices, entitlements,
trial, compatible addons, maximum quantity, product, pricing type) and how the package
is shown (name, description, metadata), but not its id, which names the package rather
than a version of it.

The digest is SHA-256 of canonical JSON: keys sorted, amounts normalised (``10``,
``10.0`` and ``10.00`` are one price), and lists whose order carries no meaning sorted,
so reformatting or reordering the file publishes nothing new. References are by id
(product, feature, addon and base plan ids), which keeps the hash the same in every
environment. Only the entitlements a package declares are hashed, not those it
inherits: a plan names its base plan by id, not by version, so a change to a base plan
publishes a new version of the base plan alone.

Changing this function changes the hash of every package, and the next apply would
publish a new version of each. A field added later must therefore be left out of the
canonical form while it holds its default, as the base plan and the entitlements'
soft limit, reset configuration, enum values, behavior and isGranted are.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from app.catalog.schemas import AddonSpec, EntitlementSpec, PlanSpec, PriceSpec
from app.models.catalog import EntitlementBehavior, PackageKind, PricingType

_FORMAT = "package/v1"


def _number(value: Decimal | None) -> str | None:
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _price(price: PriceSpec) -> dict[str, Any]:
    return {
        "billingPeriod": price.billing_period.value,
        "billingModel": price.billing_model.value,
        "feature": price.feature,
        "amount": _number(price.amount),
        "currency": price.currency,
        "minUnitQuantity": price.min_unit_quantity,
        "maxUnitQuantity": price.max_unit_quantity,
        "countryPrices": sorted(
            (
                {"country": c.country, "amount": _number(c.amount), "currency": c.currency}
                for c in price.country_prices
            ),
            key=lambda c: str(c["country"]),
        ),
    }


def _entitlement(entitlement: EntitlementSpec) -> dict[str, Any]:
    canonical: dict[str, Any] = {
        "feature": entitlement.feature,
        "usageLimit": _number(entitlement.usage_limit),
        "unlimited": entitlement.unlimited,
        "resetPeriod": entitlement.reset_period.value if entitlement.reset_period else None,
    }
    # Added later: present only when they differ from their default.
    if entitlement.has_soft_limit:
        canonical["hasSoftLimit"] = True
    if entitlement.reset_according_to is not None:
        canonical["resetAccordingTo"] = entitlement.reset_according_to
    if entitlement.enum_values is not None:
        canonical["enumValues"] = sorted(entitlement.enum_values)
    if entitlement.entitlement_behavior is not EntitlementBehavior.INCREMENT:
        canonical["behavior"] = entitlement.entitlement_behavior.value
    if not entitlement.is_granted:
        canonical["isGranted"] = False
    return canonical


def pricing_type(spec: PlanSpec | AddonSpec) -> PricingType:
    """Plans declare it; an addon is PAID when it has prices."""
    if isinstance(spec, PlanSpec):
        return spec.pricing_type
    return PricingType.PAID if spec.prices else PricingType.FREE


def canonical(spec: PlanSpec | AddonSpec) -> dict[str, Any]:
    plan = spec if isinstance(spec, PlanSpec) else None
    addon = spec if isinstance(spec, AddonSpec) else None
    canonical: dict[str, Any] = {
        "format": _FORMAT,
        "kind": (PackageKind.PLAN if plan else PackageKind.ADDON).value,
        "product": spec.product,
        "displayName": spec.display_name,
        "description": spec.description,
        "additionalMetaData": spec.additional_meta_data,
        "pricingType": pricing_type(spec).value,
        "prices": sorted(
            (_price(price) for price in spec.prices),
            key=lambda p: json.dumps(p, sort_keys=True),
        ),
        "entitlements": sorted(
            (_entitlement(entitlement) for entitlement in spec.entitlements),
            key=lambda e: str(e["feature"]),
        ),
        "trial": (
            {"days": plan.trial.days, "endBehavior": plan.trial.end_behavior.value}
            if plan and plan.trial
            else None
        ),
        "compatibleAddons": sorted(plan.compatible_addons) if plan else None,
        "maxQuantity": addon.max_quantity if addon else None,
    }
    if plan and plan.base_plan is not None:
        canonical["basePlan"] = plan.base_plan
    return canonical


def content_hash(spec: PlanSpec | AddonSpec) -> str:
    text = json.dumps(canonical(spec), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
