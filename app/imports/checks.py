"""What an import's rows must meet against the stored state, checked before anything is
stored: every problem of every row is found, so one answer lists them all."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session

from app import clock
from app.catalog import repository as catalog
from app.errors import AppError
from app.imports import repository
from app.imports.repository import CustomerFacts
from app.imports.schemas import CustomerRow, RowProblem, SubscriptionRow, UsageRow
from app.models import Environment, Package, Product, Subscription
from app.models.catalog import MeterType, PackageKind, PricingType
from app.subscriptions.errors import BillableFeatureRequired
from app.subscriptions.items import ResolvedItems, resolve_items

Rows = Sequence[tuple[int, object]]


def _at(where: str, index: int, name: str) -> str:
    return f"{where}[{index}].{name}"


def relinked(billed_to: str | None, row: CustomerRow) -> str | None:
    """Why the row cannot link its Stripe customer to a customer billed to another one
    (``billed_to``) already (its subscriptions and card are there), if so."""
    if billed_to in (None, row.billingId) or not row.billingId:
        return None
    return (
        f"customer {row.customerId!r} is billed to Stripe customer {billed_to!r} "
        "already; it cannot be linked to another"
    )


def linked_elsewhere(
    holder: Subscription | None, customer: CustomerFacts | None, row: SubscriptionRow
) -> bool:
    """Whether the Stripe subscription the row names is linked to another subscription
    than the one the row describes."""
    return holder is not None and (
        customer is None
        or holder.customer_id != customer.id
        or row.subscriptionId not in (None, holder.ref_id)
    )


def without_card(
    customer: CustomerFacts, plan: Package, row: SubscriptionRow, now: datetime
) -> str | None:
    """Why the row cannot be billed in Stripe, if so: a live paid subscription is charged to
    the customer's card, never sent to a checkout."""
    ended = row.endDate is not None and row.endDate <= now
    has_card = customer.has_card
    if plan.pricing_type != PricingType.PAID or ended or row.billingId is not None or has_card:
        return None
    return (
        f"plan {plan.ref_id!r} is paid and customer {row.customerId!r} has no payment "
        "method: import the customer with paymentMethodId first"
    )


def customers(
    session: Session,
    environment: Environment,
    rows: Sequence[tuple[int, CustomerRow]],
    where: str,
    *,
    integrated: bool,
) -> list[RowProblem]:
    existing = repository.customer_facts_by_ref(
        session, environment.id, {r.customerId for _, r in rows}
    )
    holders = repository.holders_of_billing_ids(
        session, {r.billingId for _, r in rows if r.billingId}
    )
    # The first customer each billingId is given to in this call.
    claims: dict[str, str] = {}
    problems = []
    for index, row in rows:
        if row.billingId is not None:
            claimant = claims.setdefault(row.billingId, row.customerId)
            if claimant != row.customerId:
                problems.append(
                    RowProblem(
                        index,
                        _at(where, index, "billingId"),
                        f"{row.billingId!r} is given to customer {claimant!r} too",
                    )
                )
        found = existing.get(row.customerId)
        refusal = relinked(found.billing_id if found else None, row) if integrated else None
        if refusal is not None:
            problems.append(RowProblem(index, _at(where, index, "billingId"), refusal))
        if found is not None and found.archived_at is not None:
            problems.append(
                RowProblem(
                    index,
                    _at(where, index, "customerId"),
                    f"{row.customerId!r} belonged to an archived customer and cannot be "
                    "imported again",
                )
            )
        holder = holders.get(row.billingId or "")
        if holder is not None and (
            holder.environment_id != environment.id or holder.customer_id != row.customerId
        ):
            problems.append(
                RowProblem(
                    index,
                    _at(where, index, "billingId"),
                    f"{row.billingId!r} is linked to another customer",
                )
            )
    return problems


@dataclass
class Catalog:
    """The plans and items of one import, each looked up once."""

    session: Session
    environment: Environment
    plans: dict[str, tuple[Package, Product] | None] = field(default_factory=dict)
    items: dict[tuple[object, ...], ResolvedItems] = field(default_factory=dict)

    def plan(self, ref_id: str) -> tuple[Package, Product] | None:
        if ref_id not in self.plans:
            plan = catalog.latest_package(
                self.session, self.environment.id, PackageKind.PLAN, ref_id
            )
            product = (
                catalog.product_by_id(self.session, self.environment.id, plan.product_id)
                if plan
                else None
            )
            self.plans[ref_id] = (plan, product) if plan and product else None
        return self.plans[ref_id]

    def resolved(self, plan: Package, row: SubscriptionRow, prefix: str) -> ResolvedItems:
        features = tuple((f.featureId, f.quantity) for f in row.billableFeatures or [])
        addons = tuple((a.addonId, a.quantity) for a in row.addons or [])
        key = (plan.id, row.billingPeriod, features, row.unitQuantity, addons)
        found = self.items.get(key)
        if found is None:
            try:
                found = self._resolve(plan, row, features, row.unitQuantity, addons, prefix)
            except BillableFeatureRequired as exc:
                # unitQuantity beside billableFeatures that price every unit already (the
                # platform's own example gives both): it is kept on the subscription.
                if not features or not (exc.field or "").endswith("unitQuantity"):
                    raise
                found = self._resolve(plan, row, features, None, addons, prefix)
            self.items[key] = found
        return found

    def _resolve(
        self,
        plan: Package,
        row: SubscriptionRow,
        features: tuple[tuple[str, Decimal], ...],
        unit_quantity: Decimal | None,
        addons: tuple[tuple[str, int], ...],
        prefix: str,
    ) -> ResolvedItems:
        return resolve_items(
            self.session,
            self.environment.id,
            plan,
            billing_period=row.billingPeriod,
            country=None,
            billable_features=list(features),
            unit_quantity=unit_quantity,
            addons=list(addons),
            prefix=prefix,
        )


def subscriptions(
    session: Session,
    environment: Environment,
    rows: Sequence[tuple[int, SubscriptionRow]],
    where: str,
    *,
    integrated: bool,
) -> list[RowProblem]:
    existing = repository.customer_facts_by_ref(
        session, environment.id, {r.customerId for _, r in rows}
    )
    known = Catalog(session, environment)
    now = clock.now()
    linked = repository.subscriptions_linked_to(
        session, {r.billingId for _, r in rows if r.billingId}
    )
    claims: dict[str, str] = {}
    problems = []
    for index, row in rows:
        problems.extend(_subscription(known, existing, index, row, where, now, integrated))
        if row.billingId is None:
            continue
        claimant = claims.setdefault(row.billingId, row.key)
        if claimant != row.key or linked_elsewhere(
            linked.get(row.billingId), existing.get(row.customerId), row
        ):
            problems.append(
                RowProblem(
                    index,
                    _at(where, index, "billingId"),
                    f"{row.billingId!r} is linked to another subscription",
                )
            )
    return problems


def _subscription(
    known: Catalog,
    existing: dict[str, CustomerFacts],
    index: int,
    row: SubscriptionRow,
    where: str,
    now: datetime,
    integrated: bool,
) -> list[RowProblem]:
    problems = []
    customer = existing.get(row.customerId)
    if customer is None or customer.archived_at is not None:
        problems.append(
            RowProblem(
                index, _at(where, index, "customerId"), f"customer {row.customerId!r} not found"
            )
        )
    found = known.plan(row.planId)
    if found is None:
        problems.append(
            RowProblem(index, _at(where, index, "planId"), f"unknown plan {row.planId!r}")
        )
        return problems
    plan, product = found
    if row.resourceId is not None and not product.multiple_subscriptions:
        problems.append(
            RowProblem(
                index,
                _at(where, index, "resourceId"),
                f"product {product.ref_id!r} allows one subscription per customer; "
                "resourceId cannot be used with it",
            )
        )
    try:
        known.resolved(plan, row, f"{where}[{index}]")
    except AppError as exc:
        problems.append(RowProblem(index, exc.field or f"{where}[{index}]", exc.message))
    start = row.startDate or now
    if row.endDate is not None and row.endDate < start:
        problems.append(
            RowProblem(index, _at(where, index, "endDate"), "must not be before the start date")
        )
    refusal = without_card(customer, plan, row, now) if integrated and customer else None
    if refusal is not None:
        problems.append(RowProblem(index, _at(where, index, "customerId"), refusal))
    if not integrated and row.billingId is not None:
        problems.append(
            RowProblem(
                index,
                _at(where, index, "billingId"),
                "this environment has no billing integration to link a subscription in",
            )
        )
    return problems


def usage(
    session: Session, environment: Environment, rows: Sequence[tuple[int, UsageRow]], where: str
) -> list[RowProblem]:
    existing = repository.customer_facts_by_ref(
        session, environment.id, {r.customerId for _, r in rows}
    )
    features = catalog.features_by_refs(session, environment.id, {r.featureId for _, r in rows})
    resources = repository.resources_of(session, [c.id for c in existing.values()])
    problems = []
    for index, row in rows:
        customer = existing.get(row.customerId)
        if customer is None or customer.archived_at is not None:
            problems.append(
                RowProblem(
                    index,
                    _at(where, index, "customerId"),
                    f"customer {row.customerId!r} not found",
                )
            )
        elif row.resourceId is not None and (customer.id, row.resourceId) not in resources:
            problems.append(
                RowProblem(
                    index,
                    _at(where, index, "resourceId"),
                    f"customer {row.customerId!r} has no resource {row.resourceId!r}",
                )
            )
        feature = features.get(row.featureId)
        if feature is None:
            problems.append(
                RowProblem(
                    index, _at(where, index, "featureId"), f"unknown feature {row.featureId!r}"
                )
            )
        elif feature.meter_type == MeterType.NONE.value or feature.meter is not None:
            problems.append(
                RowProblem(
                    index,
                    _at(where, index, "featureId"),
                    f"feature {row.featureId!r} has no calculated usage to set "
                    "(it is not metered, or it is metered from events)",
                )
            )
    return problems
