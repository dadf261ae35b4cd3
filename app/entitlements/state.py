"""A customer's entitlement state: what each source grants, combined, for one resource.

The state is computed from the database in one go (a handful of queries, whatever the
number of features) and is what the cache keeps. Usage is not part of it: usage changes
on every report, the state only when subscriptions, promotions or the catalog change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from app.entitlements import repository
from app.entitlements.allowances import Allowance, Candidate, inherit, most_generous, with_addons
from app.entitlements.periods import UsagePeriod, usage_period
from app.models import Feature, Package, PackageEntitlement, PromotionalEntitlement
from app.models.catalog import EntitlementBehavior, MeterType
from app.models.entitlements import NEVER_RESETS

# Deeper base-plan chains are cut here (the catalog refuses cycles; this is a guard).
MAX_BASE_DEPTH = 16
# Tie-breaking ranks of sources (lower decides among equally generous ones).
PAID_RANK, TRIAL_RANK, PROMOTION_RANK = 0, 1, 2


@dataclass(frozen=True, slots=True)
class FeatureInfo:
    id: str
    ref_id: str
    display_name: str
    description: str | None
    feature_type: str
    meter_type: str
    units: str | None
    units_plural: str | None
    meter: Mapping[str, Any] | None
    additional_metadata: Mapping[str, Any] | None

    @classmethod
    def of(cls, row: Feature) -> FeatureInfo:
        return cls(
            id=row.id,
            ref_id=row.ref_id,
            display_name=row.display_name,
            description=row.description,
            feature_type=row.feature_type,
            meter_type=row.meter_type,
            units=row.units,
            units_plural=row.units_plural,
            meter=row.meter,
            additional_metadata=row.additional_metadata,
        )

    @property
    def is_metered(self) -> bool:
        return self.meter_type != MeterType.NONE.value

    @property
    def resets(self) -> bool:
        """Only counted-up usage resets; a current count (seats) never does."""
        return self.meter_type == MeterType.INCREMENTAL.value


@dataclass(frozen=True, slots=True)
class Grant:
    """The deciding entitlement of one customer (and resource) to one feature."""

    feature: FeatureInfo
    allowance: Allowance
    anchor: datetime

    def period(self, moment: datetime) -> UsagePeriod | None:
        if self.allowance.reset_period is None or not self.feature.resets:
            return None
        return usage_period(
            self.anchor, self.allowance.reset_period, self.allowance.according_to, moment
        )

    def usage_key(self, moment: datetime) -> datetime:
        """Which stored usage counts now (see app.models.entitlements).

        Counted-up usage without a reset period counts from the deciding source's start,
        so changing plans starts it afresh; a current count is never reset.
        """
        if not self.feature.resets:
            return NEVER_RESETS
        period = self.period(moment)
        return period.start if period is not None else self.anchor


@dataclass(frozen=True, slots=True)
class EntitlementState:
    environment_id: str
    customer_ref: str
    resource_id: str | None
    customer_id: str | None = None
    archived: bool = False
    resource_found: bool = True
    # Any live subscription in scope or active promotion.
    live: bool = False
    grants: Mapping[str, Grant] = field(default_factory=dict)
    version: int = 0
    # The state is only true until this moment (a trial or a promotion ends).
    valid_until: datetime | None = None

    @property
    def resource_key(self) -> str:
        return self.resource_id or ""


def _allowance(row: PackageEntitlement) -> Allowance:
    return Allowance(
        usage_limit=row.usage_limit,
        unlimited=row.has_unlimited_usage,
        soft_limit=row.has_soft_limit,
        enum_values=frozenset(row.enum_values or ()),
        reset_period=row.reset_period,
        according_to=row.reset_according_to,
        revoked=not row.is_granted,
    )


def _promotion_allowance(row: PromotionalEntitlement) -> Allowance:
    return Allowance(
        usage_limit=row.usage_limit,
        unlimited=row.has_unlimited_usage,
        soft_limit=row.has_soft_limit,
        enum_values=frozenset(row.enum_values or ()),
        reset_period=row.reset_period,
        according_to=row.reset_according_to,
    )


def promotion_active(row: PromotionalEntitlement, now: datetime) -> bool:
    return not row.paused and row.start_date <= now and (row.end_date is None or row.end_date > now)


class _Loader:
    def __init__(self, session: Session, environment_id: str) -> None:
        self.session = session
        self.environment_id = environment_id

    def plan_chains(self, plans: list[Package]) -> dict[str, list[Package]]:
        """Each plan version's chain of base plans, root first, the plan itself last."""
        chains: dict[str, list[Package]] = {}
        for plan in plans:
            chain = [plan]
            seen = {plan.ref_id}
            current = plan
            while current.base_plan_ref and len(chain) < MAX_BASE_DEPTH:
                if current.base_plan_ref in seen:
                    break
                base = repository.latest_plan(
                    self.session, self.environment_id, current.base_plan_ref
                )
                if base is None:
                    break
                seen.add(base.ref_id)
                chain.append(base)
                current = base
            chains[plan.id] = list(reversed(chain))
        return chains


def load(
    session: Session, environment_id: str, customer_ref: str, resource_id: str | None, now: datetime
) -> EntitlementState:
    base = EntitlementState(environment_id, customer_ref, resource_id)
    customer = repository.customer(session, environment_id, customer_ref)
    if customer is None:
        return base
    state = EntitlementState(
        environment_id,
        customer_ref,
        resource_id,
        customer_id=customer.id,
        archived=customer.archived_at is not None,
        version=customer.entitlements_version,
    )
    if state.archived:
        return state
    if resource_id is not None and not repository.resource_exists(
        session, customer.id, resource_id
    ):
        return EntitlementState(**{**_fields(state), "resource_found": False})

    subscriptions = [
        s for s, _ in repository.live_subscriptions(session, customer.id, resource_id, now)
    ]
    promotions = list(repository.promotions(session, customer.id))
    active_promotions = [p for p in promotions if promotion_active(p, now)]

    loader = _Loader(session, environment_id)
    plans = repository.packages(session, {s.plan_id for s in subscriptions})
    chains = loader.plan_chains(list(plans.values()))
    addon_rows = repository.addons(session, [s.id for s in subscriptions])
    addon_packages = repository.packages(session, {row.addon_id for row in addon_rows})
    package_ids = {p.id for chain in chains.values() for p in chain} | set(addon_packages)
    entitlements = repository.package_entitlements(session, package_ids)
    quantities = repository.feature_quantities(session, [s.id for s in subscriptions])
    overrides = repository.subscription_entitlements(session, [s.id for s in subscriptions])

    candidates: dict[str, list[Candidate]] = defaultdict(list)
    for subscription in subscriptions:
        plan_allowances = inherit(
            {row.feature_id: _allowance(row) for row in entitlements[package.id]}
            for package in chains.get(subscription.plan_id, [])
        )
        for bought in quantities:
            if bought.subscription_id == subscription.id:
                current = plan_allowances.get(bought.feature_id, Allowance())
                plan_allowances[bought.feature_id] = Allowance(
                    usage_limit=Decimal(bought.quantity),
                    soft_limit=current.soft_limit,
                    reset_period=current.reset_period,
                    according_to=current.according_to,
                )
        for override in overrides:
            if override.subscription_id == subscription.id:
                plan_allowances[override.feature_id] = Allowance(
                    usage_limit=override.usage_limit,
                    unlimited=override.has_unlimited_usage,
                    soft_limit=override.has_soft_limit,
                    reset_period=override.reset_period,
                    according_to=override.reset_according_to,
                )
        increments: dict[str, list[tuple[Allowance, int]]] = defaultdict(list)
        replacing: dict[str, list[Allowance]] = defaultdict(list)
        for addon in addon_rows:
            if addon.subscription_id != subscription.id or addon.addon_id not in addon_packages:
                continue
            for entry in entitlements[addon.addon_id]:
                if entry.behavior == EntitlementBehavior.OVERRIDE.value:
                    replacing[entry.feature_id].append(_allowance(entry))
                else:
                    increments[entry.feature_id].append((_allowance(entry), addon.quantity))
        rank = TRIAL_RANK if subscription.is_trial else PAID_RANK
        for feature_id in set(plan_allowances) | set(increments) | set(replacing):
            allowance = with_addons(
                plan_allowances.get(feature_id), increments[feature_id], replacing[feature_id]
            )
            if allowance is not None:
                candidates[feature_id].append(
                    Candidate(allowance, subscription.start_date, rank, (subscription.id,))
                )
    for promotion in active_promotions:
        candidates[promotion.feature_id].append(
            Candidate(
                _promotion_allowance(promotion),
                promotion.start_date,
                PROMOTION_RANK,
                (promotion.id,),
            )
        )

    features = {
        row.id: FeatureInfo.of(row) for row in repository.features_by_ids(session, candidates)
    }
    grants: dict[str, Grant] = {}
    for feature_id, options in candidates.items():
        feature = features.get(feature_id)
        if feature is None:
            continue
        winner = most_generous(options)
        grants[feature.ref_id] = Grant(feature, winner.allowance, winner.anchor)
    return EntitlementState(
        **{
            **_fields(state),
            "live": bool(subscriptions or active_promotions),
            "grants": grants,
            "valid_until": _valid_until(subscriptions, promotions, now),
        }
    )


def _fields(state: EntitlementState) -> dict[str, Any]:
    return {name: getattr(state, name) for name in EntitlementState.__dataclass_fields__}


def _valid_until(
    subscriptions: list[Any], promotions: list[PromotionalEntitlement], now: datetime
) -> datetime | None:
    moments = [s.effective_end_date for s in subscriptions if s.effective_end_date is not None]
    moments += [s.trial_end_date for s in subscriptions if s.is_trial and s.trial_end_date]
    moments += [p.end_date for p in promotions if p.end_date is not None and p.end_date > now]
    moments += [p.start_date for p in promotions if p.start_date > now]
    return min(moments, default=None)
