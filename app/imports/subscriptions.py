"""Applying a chunk of subscription rows.

The common case, a customer with nothing in the row's slot (customer, product,
resource), is set-based: the plan and price rules are worked out in Python for each
row and the chunk's new subscriptions, addons and quantities go in one INSERT per
table. A row that changes what a customer holds (another plan in the slot, a trial)
goes through the subscription service's own provision, so the platform's replacement
rules hold; a row for the subscription already held updates it through the service.

An imported subscription is one the customer already had: it starts without a trial.
``startDate`` backdates it (billing periods count from it), ``endDate`` schedules its
end as a cancellation on that date would; a subscription whose ``endDate`` has passed
is imported as the cancelled one it is, for the record, and holds nothing.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, update
from sqlmodel import Session, select

from app.billing import state as billing_state
from app.entitlements import bulk
from app.errors import AppError
from app.imports import checks, repository
from app.imports.outcomes import ChunkResult, Outcome
from app.imports.repository import CustomerFacts
from app.imports.schemas import SubscriptionRow
from app.models import (
    Customer,
    Environment,
    Package,
    Subscription,
    SubscriptionAddon,
    SubscriptionFeatureQuantity,
)
from app.models.base import new_id
from app.models.catalog import BillingPeriod, PricingType
from app.models.subscriptions import ENDED_STATUSES, PaymentCollection, SubscriptionStatus
from app.subscriptions import repository as subscription_repository
from app.subscriptions import service as subscription_service
from app.subscriptions.items import ResolvedItems
from app.subscriptions.periods import period_at
from app.subscriptions.schemas import ProvisionRequest

HELD = (
    SubscriptionStatus.ACTIVE.value,
    SubscriptionStatus.IN_TRIAL.value,
    SubscriptionStatus.NOT_STARTED.value,
    SubscriptionStatus.PAYMENT_PENDING.value,
)
_ENDED = tuple(s.value for s in ENDED_STATUSES)
# The rows of a chunk mostly start at one moment (the import's, or a shared startDate):
# each start's billing period is worked out once.
_period_at = functools.lru_cache(maxsize=1024)(period_at)
_CANCELLED = "cancelled"


def _slot(customer_pk: str, product_id: str, resource_id: str | None) -> tuple[str, str, str]:
    return customer_pk, product_id, resource_id or ""


def _new_row(
    environment: Environment,
    customer: CustomerFacts,
    plan: Package,
    items: ResolvedItems,
    row: SubscriptionRow,
    now: datetime,
) -> dict[str, Any]:
    start = row.startDate or now
    started = start <= now
    ended = row.endDate is not None and row.endDate <= now
    cadence = BillingPeriod(items.billing_period or BillingPeriod.MONTHLY)
    period_start, period_end = _period_at(start, cadence, max(now, start))
    slot = ":".join((customer.id, plan.product_id, row.resourceId or "", "paid"))
    return {
        "id": new_id(),
        "environment_id": environment.id,
        "ref_id": row.subscriptionId or f"subscription-{plan.ref_id}-{secrets.token_hex(6)}",
        "customer_id": customer.id,
        "product_id": plan.product_id,
        "plan_id": plan.id,
        "resource_id": row.resourceId,
        "status": (
            SubscriptionStatus.CANCELED
            if ended
            else SubscriptionStatus.ACTIVE
            if started
            else SubscriptionStatus.NOT_STARTED
        ).value,
        "active_slot": slot if started and not ended else None,
        "end_date": row.endDate if ended else None,
        "is_trial": False,
        "was_in_trial": False,
        "pricing_type": plan.pricing_type,
        "billing_period": items.billing_period.value if items.billing_period else None,
        "billing_country_code": items.country,
        "unit_quantity": row.unitQuantity,
        "start_date": start,
        "cancellation_date": (row.endDate if ended else now) if row.endDate else None,
        "effective_end_date": row.endDate,
        "cancel_reason": _CANCELLED if row.endDate else None,
        "billing_cycle_anchor": start,
        "current_billing_period_start": period_start,
        "current_billing_period_end": period_end,
        "additional_metadata": row.additionalMetaData,
        "payment_collection": PaymentCollection.NOT_REQUIRED.value,
        "billing_id": row.billingId,
        # Paid for where it came from until this period ends: Stripe charges from then.
        "billed_from": period_end if started and not ended else None,
        "sync_generation": 0,
        "synced_generation": 0,
        "created_at": now,
        "updated_at": row.updatedAt or now,
    }


def _insert_all(
    session: Session, model: type[Any], rows: list[dict[str, Any]], *, returning: bool
) -> set[str]:
    if not rows:
        return set()
    table: Table = model.__table__
    dialect = bulk.dialect_of(session)
    statement = bulk.insert(dialect, table, tuple(rows[0])).on_conflict_do_nothing()
    if returning:
        statement = statement.returning(table.c.id)
        return set(session.execute(statement, bulk.parameters(dialect, rows)).scalars())
    session.execute(statement, bulk.parameters(dialect, rows))
    return set()


def _items_equal(session: Session, held: Subscription, items: ResolvedItems) -> bool:
    addons = sorted(
        (a.addon_id, a.quantity) for a in subscription_repository.addons_of(session, held.id)
    )
    wanted = sorted((addon.id, quantity) for addon, quantity in items.addons)
    quantities = subscription_repository.feature_quantities_of(session, held.id)
    period = items.billing_period.value if items.billing_period else None
    return (
        addons == wanted
        and quantities == items.feature_quantities
        and (held.billing_period == period)
    )


def _unchanged(
    session: Session, held: Subscription, row: SubscriptionRow, items: ResolvedItems
) -> bool:
    sent = row.model_fields_set
    return (
        _items_equal(session, held, items)
        and ("unitQuantity" not in sent or held.unit_quantity == row.unitQuantity)
        and ("additionalMetaData" not in sent or held.additional_metadata == row.additionalMetaData)
        and ("endDate" not in sent or held.effective_end_date == row.endDate)
        and ("billingId" not in sent or held.billing_id == row.billingId)
        and (row.startDate is None or held.start_date == row.startDate)
    )


def _update(
    session: Session,
    environment: Environment,
    held: Subscription,
    row: SubscriptionRow,
    now: datetime,
) -> None:
    if row.startDate is not None and held.start_date != row.startDate:
        raise AppError(
            "startDate of a subscription already held cannot change; cancel it and import again"
        )
    if row.billingId is not None and held.billing_id not in (None, row.billingId):
        raise AppError("the subscription is linked to another Stripe subscription")
    data: dict[str, Any] = {"subscriptionId": held.ref_id}
    for key in ("billingPeriod", "unitQuantity", "additionalMetaData"):
        if key in row.model_fields_set:
            data[key] = row.model_dump(mode="json")[key]
    if row.billableFeatures is not None:
        data["billableFeatures"] = [f.model_dump(mode="json") for f in row.billableFeatures]
    # The row describes the whole subscription: addons it leaves out are removed.
    data["addons"] = [a.model_dump(mode="json") for a in row.addons or []]
    if row.billingId is not None and held.billing_id is None:
        held.billing_id = row.billingId
        held.billed_from = held.current_billing_period_end
    subscription_service.update_subscription(session, environment, data)
    if "endDate" in row.model_fields_set and held.effective_end_date != row.endDate:
        held.effective_end_date = row.endDate
        held.cancellation_date = now if row.endDate else None
        held.cancel_reason = _CANCELLED if row.endDate else None
        held.updated_at = now
        session.add(held)
        session.flush()
        if _billed(held):
            billing_state.request_subscription_sync(session, held)


def _billed(subscription: Subscription) -> bool:
    return subscription.pricing_type == PricingType.PAID or subscription.billing_id is not None


def _provision(session: Session, environment: Environment, row: SubscriptionRow) -> Subscription:
    """A subscription that changes what the customer holds, by the platform's rules."""
    request = ProvisionRequest.model_validate(
        {
            "customerId": row.customerId,
            "planId": row.planId,
            "resourceId": row.resourceId,
            "billingPeriod": row.billingPeriod,
            "startDate": row.startDate,
            "unitQuantity": row.unitQuantity,
            "billableFeatures": row.billableFeatures,
            "addons": row.addons,
            "additionalMetaData": row.additionalMetaData,
            "refId": row.subscriptionId,
            "skipTrial": True,
        }
    )
    subscription = subscription_service.provision(session, environment, request).subscription
    if subscription.status == SubscriptionStatus.ACTIVE:
        # Paid for where it came from until this period ends: Stripe charges from then.
        subscription.billed_from = subscription.current_billing_period_end
        session.add(subscription)
        session.flush()
    if row.endDate is not None or row.billingId is not None:
        if row.endDate is not None:
            subscription.effective_end_date = row.endDate
            subscription.cancellation_date = subscription.created_at
            subscription.cancel_reason = _CANCELLED
        if row.billingId is not None:
            subscription.billing_id = row.billingId
        session.add(subscription)
        session.flush()
        if _billed(subscription):
            billing_state.request_subscription_sync(session, subscription)
    return subscription


def apply(  # noqa: PLR0915 - one pass that sorts each row onto its path
    session: Session,
    environment: Environment,
    rows: Sequence[tuple[int, SubscriptionRow]],
    now: datetime,
    *,
    integrated: bool,
) -> ChunkResult:
    result = ChunkResult()
    linking = {r.billingId for _, r in rows if r.billingId}
    repository.lock_billing_ids(session, linking)
    linked = repository.subscriptions_linked_to(session, linking)
    customers = repository.customer_facts_by_ref(
        session, environment.id, {r.customerId for _, r in rows}
    )
    known = checks.Catalog(session, environment)
    by_ref = repository.subscriptions_by_ref(
        session, environment.id, {r.subscriptionId for _, r in rows if r.subscriptionId}
    )
    held, ended = _held_and_ended(session, customers)
    new_rows: dict[int, dict[str, Any]] = {}
    new_items: dict[int, ResolvedItems] = {}
    one_by_one: list[tuple[int, SubscriptionRow]] = []
    claimed: set[tuple[str, str, str]] = set()
    for index, row in rows:
        customer = customers.get(row.customerId)
        found = known.plan(row.planId)
        if customer is None or customer.archived_at is not None or found is None:
            result.set(index, Outcome.FAILED, "the customer or plan is gone")
            continue
        plan, product = found
        refusal = _refused(customer, plan, row, now, linked) if integrated else None
        if refusal is not None:
            result.set(index, Outcome.FAILED, refusal)
            continue
        try:
            items = known.resolved(plan, row, "subscription")
        except AppError as exc:
            result.set(index, Outcome.FAILED, exc.message)
            continue
        slot = _slot(customer.id, product.id, row.resourceId)
        target = by_ref.get(row.subscriptionId or "")
        if target is not None and target.customer_id != customer.id:
            result.set(index, Outcome.FAILED, "subscriptionId belongs to another customer")
            continue
        holders = held.get(slot, [])
        if row.endDate is not None and row.endDate <= now:
            _ended(session, customer, plan, items, row, now, target, ended, result, index)
            if result.outcomes.get(index) is None:
                new_rows[index] = _new_row(environment, customer, plan, items, row, now)
                new_items[index] = items
            continue
        if target is None and row.subscriptionId is None:
            same = [h for h in holders if not h.is_trial and h.plan_id == plan.id]
            target = same[0] if same else None
        if target is not None and target.plan_id == plan.id:
            if _unchanged(session, target, row, items):
                result.set(index, Outcome.UNCHANGED)
            elif row.updatedAt is not None and target.updated_at > row.updatedAt:
                result.set(index, Outcome.SKIPPED, _later(target))
            else:
                one_by_one.append((index, row))
            continue
        if target is not None and row.updatedAt is not None and target.updated_at > row.updatedAt:
            result.set(index, Outcome.SKIPPED, _later(target))
            continue
        if holders or slot in claimed or target is not None:
            one_by_one.append((index, row))
            continue
        claimed.add(slot)
        new_rows[index] = _new_row(environment, customer, plan, items, row, now)
        new_items[index] = items
    _insert_new(session, environment, new_rows, new_items, result)
    for index, row in one_by_one:
        _one(session, environment, index, row, now, by_ref, result)
    if integrated:
        _request_sync(session, new_rows, result)
    return result


def _refused(
    customer: CustomerFacts,
    plan: Package,
    row: SubscriptionRow,
    now: datetime,
    linked: dict[str, Subscription],
) -> str | None:
    """The checks of the import's start that the chunk's state may have undone meanwhile,
    made again under the chunk's locks."""
    if checks.linked_elsewhere(linked.get(row.billingId or ""), customer, row):
        return f"billingId {row.billingId!r} is linked to another subscription"
    return checks.without_card(customer, plan, row, now)


def _ended(
    session: Session,
    customer: CustomerFacts,
    plan: Package,
    items: ResolvedItems,
    row: SubscriptionRow,
    now: datetime,
    target: Subscription | None,
    ended: list[Subscription],
    result: ChunkResult,
    index: int,
) -> None:
    """A row of a subscription that has ended: unchanged when it is on record already,
    failed when it names one that is not over; left for an insert otherwise."""
    start = row.startDate or now
    if target is None and row.subscriptionId is None:
        target = next(
            (
                e
                for e in ended
                if e.customer_id == customer.id
                and e.plan_id == plan.id
                and e.resource_id == row.resourceId
                and e.start_date == start
                and e.end_date == row.endDate
            ),
            None,
        )
    if target is None:
        return
    if target.status not in {s.value for s in ENDED_STATUSES}:
        result.set(index, Outcome.FAILED, "endDate has passed but the subscription is live")
    elif _unchanged(session, target, row, items) or target.end_date == row.endDate:
        result.set(index, Outcome.UNCHANGED)
    else:
        result.set(index, Outcome.SKIPPED, "an ended subscription is not changed")


def _held_and_ended(
    session: Session, customers: dict[str, CustomerFacts]
) -> tuple[dict[tuple[str, str, str], list[Subscription]], list[Subscription]]:
    """What the customers hold, by slot, and the subscriptions they had (one query)."""
    held: dict[tuple[str, str, str], list[Subscription]] = {}
    ended: list[Subscription] = []
    for subscription in repository.subscriptions_of(
        session, [c.id for c in customers.values()], HELD + _ENDED
    ):
        if subscription.status in _ENDED:
            ended.append(subscription)
            continue
        key = _slot(subscription.customer_id, subscription.product_id, subscription.resource_id)
        held.setdefault(key, []).append(subscription)
    return held, ended


def _later(held: Subscription) -> str:
    return (
        f"the stored subscription was updated at {held.updated_at.isoformat()}, "
        "after the row's updatedAt"
    )


def _one(
    session: Session,
    environment: Environment,
    index: int,
    row: SubscriptionRow,
    now: datetime,
    by_ref: dict[str, Subscription],
    result: ChunkResult,
) -> None:
    try:
        with session.begin_nested():
            target = by_ref.get(row.subscriptionId or "")
            if target is None and row.subscriptionId is None:
                target = _held_with_plan(session, environment, row)
            if target is not None and _plan_ref(session, target) == row.planId:
                _update(session, environment, target, row, now)
                outcome = Outcome.UPDATED
                result.changes.add(("customer", target.customer_id))
            else:
                created = _provision(session, environment, row)
                outcome = Outcome.CREATED
                result.changes.add(("customer", created.customer_id))
    except AppError as exc:
        result.set(index, Outcome.FAILED, exc.message)
        return
    result.set(index, outcome)


def _plan_ref(session: Session, subscription: Subscription) -> str | None:
    plan = session.get(Package, subscription.plan_id)
    return plan.ref_id if plan else None


def _held_with_plan(
    session: Session, environment: Environment, row: SubscriptionRow
) -> Subscription | None:
    customer = repository.customer_facts_by_ref(session, environment.id, {row.customerId})[
        row.customerId
    ]
    for held in repository.subscriptions_of(session, [customer.id], HELD):
        if (
            not held.is_trial
            and held.resource_id == row.resourceId
            and _plan_ref(session, held) == row.planId
        ):
            return held
    return None


def _insert_new(
    session: Session,
    environment: Environment,
    new_rows: dict[int, dict[str, Any]],
    new_items: dict[int, ResolvedItems],
    result: ChunkResult,
) -> None:
    stored = _insert_all(session, Subscription, list(new_rows.values()), returning=True)
    addons: list[dict[str, Any]] = []
    quantities: list[dict[str, Any]] = []
    customers: set[str] = set()
    for index, values in new_rows.items():
        if values["id"] not in stored:
            result.set(
                index,
                Outcome.FAILED,
                "the customer's subscriptions changed meanwhile; import again",
            )
            continue
        result.set(index, Outcome.CREATED)
        customers.add(values["customer_id"])
        items = new_items[index]
        addons.extend(
            {"id": new_id(), "subscription_id": values["id"], "addon_id": addon.id, "quantity": q}
            for addon, q in items.addons
        )
        quantities.extend(
            {"id": new_id(), "subscription_id": values["id"], "feature_id": f, "quantity": q}
            for f, q in items.feature_quantities.items()
        )
    _insert_all(session, SubscriptionAddon, addons, returning=False)
    _insert_all(session, SubscriptionFeatureQuantity, quantities, returning=False)
    if customers:
        # What the customers are entitled to changed: the version caches compare.
        session.execute(
            update(Customer)
            .where(repository.one_of(session, Customer.id, customers))
            .values(entitlements_version=Customer.entitlements_version + 1)
            .execution_options(synchronize_session=False)
        )
        result.changes.update(("customer", pk) for pk in customers)


def _request_sync(
    session: Session, new_rows: dict[int, dict[str, Any]], result: ChunkResult
) -> None:
    """Queue the Stripe side of the new subscriptions that are billed (by the ids the
    INSERT stored, in this transaction: the jobs leave after it commits)."""
    ids = [
        values["id"]
        for index, values in new_rows.items()
        if result.outcomes[index][0] is Outcome.CREATED
        and (values["pricing_type"] == PricingType.PAID or values["billing_id"] is not None)
    ]
    if not ids:
        return
    query = select(Subscription).where(repository.one_of(session, Subscription.id, ids))
    for subscription in session.exec(query):
        billing_state.request_subscription_sync(session, subscription)
