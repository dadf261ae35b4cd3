"""Subscription queries, all scoped to one environment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import and_, bindparam, literal, or_, union_all
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.db import core_rows
from app.models import Customer, Subscription, SubscriptionAddon, SubscriptionFeatureQuantity
from app.models.subscriptions import LIVE_STATUSES, SubscriptionStatus

LIVE = [s.value for s in LIVE_STATUSES]
HOLDING = [*LIVE, SubscriptionStatus.NOT_STARTED.value]


# Built once: building a statement costs as much as running it on the hot reads.
_BY_REF = select(Subscription).where(
    Subscription.environment_id == bindparam("environment_id"),
    Subscription.ref_id == bindparam("ref_id"),
)
_BY_REF_FOR_UPDATE = _BY_REF.with_for_update()
_ADDONS_OF = (
    select(SubscriptionAddon)
    .where(SubscriptionAddon.subscription_id == bindparam("subscription_id"))
    .order_by(col(SubscriptionAddon.id))
)
_FEATURE_ROWS_OF = select(SubscriptionFeatureQuantity).where(
    SubscriptionFeatureQuantity.subscription_id == bindparam("subscription_id")
)


def by_ref(
    session: Session, environment_id: str, ref_id: str, *, for_update: bool = False
) -> Subscription | None:
    query = _BY_REF_FOR_UPDATE if for_update else _BY_REF
    return session.exec(query, params={"environment_id": environment_id, "ref_id": ref_id}).first()


# The subscription and its customer in one statement: a view reads both, and the
# customer is then found in the session's identity map (customers.by_pk).
_BY_REF_WITH_CUSTOMER = (
    select(Subscription, Customer)
    .join(Customer, col(Customer.id) == col(Subscription.customer_id))
    .where(
        Subscription.environment_id == bindparam("environment_id"),
        Subscription.ref_id == bindparam("ref_id"),
    )
)


@dataclass(frozen=True)
class Terms:
    """What pricing a change reads of a subscription, without building its ORM row."""

    id: str
    environment_id: str
    plan_id: str
    billing_id: str | None
    billing_period: str | None
    billing_country_code: str | None
    billing_cycle_anchor: datetime
    current_billing_period_start: datetime
    current_billing_period_end: datetime


_SUBSCRIPTIONS = Subscription.__table__  # type: ignore[attr-defined]
_TERMS_BY_REF = sa_select(*(_SUBSCRIPTIONS.c[f.name] for f in fields(Terms))).where(
    _SUBSCRIPTIONS.c.environment_id == bindparam("environment_id"),
    _SUBSCRIPTIONS.c.ref_id == bindparam("ref_id"),
)


def terms_by_ref(session: Session, environment_id: str, ref_id: str) -> Terms | None:
    params = {"environment_id": environment_id, "ref_id": ref_id}
    row = core_rows(session, _TERMS_BY_REF, params).first()
    return None if row is None else Terms(**row._mapping)


def by_ref_with_customer(session: Session, environment_id: str, ref_id: str) -> Subscription | None:
    """``by_ref``, its customer loaded by the same statement."""
    params = {"environment_id": environment_id, "ref_id": ref_id}
    found = session.exec(_BY_REF_WITH_CUSTOMER, params=params).first()
    if found is None:
        return None
    subscription, customer = found
    # The identity map holds objects weakly: the customer is kept for the session's
    # life, or it would be gone before the view asks for it.
    session.info.setdefault("kept", []).append(customer)
    return subscription


def ref_taken(session: Session, environment_id: str, ref_id: str) -> bool:
    return by_ref(session, environment_id, ref_id) is not None


def in_slot(
    session: Session,
    customer_id: str,
    product_id: str,
    resource_id: str | None,
    statuses: Sequence[str] = HOLDING,
) -> list[Subscription]:
    """The customer's subscriptions of a product (and resource) in the given statuses."""
    query = select(Subscription).where(
        Subscription.customer_id == customer_id,
        Subscription.product_id == product_id,
        col(Subscription.status).in_(statuses),
    )
    if resource_id is None:
        query = query.where(col(Subscription.resource_id).is_(None))
    else:
        query = query.where(Subscription.resource_id == resource_id)
    return list(session.exec(query.order_by(col(Subscription.created_at))))


def of_customer(
    session: Session,
    customer_id: str,
    resource_id: str | None,
    statuses: Sequence[str] = HOLDING,
) -> list[Subscription]:
    query = select(Subscription).where(
        Subscription.customer_id == customer_id, col(Subscription.status).in_(statuses)
    )
    if resource_id is not None:
        query = query.where(Subscription.resource_id == resource_id)
    return list(session.exec(query.order_by(col(Subscription.created_at))))


_SUBSCRIPTION = Subscription.__table__  # type: ignore[attr-defined]
# A Core statement: it returns no rows to map, and runs without the ORM's work.
_TRIALLED = (
    sa_select(_SUBSCRIPTION.c.id)
    .where(
        _SUBSCRIPTION.c.customer_id == bindparam("customer_id"),
        _SUBSCRIPTION.c.plan_id.in_(bindparam("plan_ids", expanding=True)),
        or_(_SUBSCRIPTION.c.is_trial.is_(True), _SUBSCRIPTION.c.was_in_trial.is_(True)),
    )
    .limit(1)
)


def trialled_plan(session: Session, customer_id: str, plan_ids: Sequence[str]) -> bool:
    """Whether the customer ever held a trial of any of these plan versions."""
    params = {"customer_id": customer_id, "plan_ids": list(plan_ids)}
    return core_rows(session, _TRIALLED, params).first() is not None


def addons_of(session: Session, subscription_id: str) -> list[SubscriptionAddon]:
    return list(session.exec(_ADDONS_OF, params={"subscription_id": subscription_id}))


def feature_rows_of(session: Session, subscription_id: str) -> list[SubscriptionFeatureQuantity]:
    return list(session.exec(_FEATURE_ROWS_OF, params={"subscription_id": subscription_id}))


_QUANTITIES = SubscriptionFeatureQuantity.__table__  # type: ignore[attr-defined]
_ADDON_ITEMS = SubscriptionAddon.__table__  # type: ignore[attr-defined]
_QUANTITIES_OF = sa_select(_QUANTITIES.c.feature_id, _QUANTITIES.c.quantity).where(
    _QUANTITIES.c.subscription_id == bindparam("subscription_id")
)

_ITEMS_OF = union_all(
    sa_select(
        literal("feature").label("kind"),
        _QUANTITIES.c.feature_id.label("item_id"),
        _QUANTITIES.c.feature_id.label("of_id"),
        _QUANTITIES.c.quantity,
    ).where(_QUANTITIES.c.subscription_id == bindparam("subscription_id")),
    sa_select(
        literal("addon").label("kind"),
        _ADDON_ITEMS.c.id.label("item_id"),
        _ADDON_ITEMS.c.addon_id.label("of_id"),
        _ADDON_ITEMS.c.quantity,
    ).where(_ADDON_ITEMS.c.subscription_id == bindparam("subscription_id")),
).order_by("kind", "item_id")


@dataclass(frozen=True)
class Items:
    """What a subscription bought: feature id -> quantity of each per-unit price, and
    (item id, addon version id, quantity) of each addon in ``addons_of``'s order."""

    quantities: dict[str, int]
    addons: list[tuple[str, str, int]]


def items_of(session: Session, subscription_id: str) -> Items:
    """``feature_quantities_of`` and the addon items, in one statement."""
    found = Items({}, [])
    for kind, item_id, of_id, quantity in map(
        tuple, core_rows(session, _ITEMS_OF, {"subscription_id": subscription_id})
    ):
        if kind == "feature":
            found.quantities[str(of_id)] = int(quantity)
        else:
            found.addons.append((str(item_id), str(of_id), int(quantity)))
    return found


def feature_quantities_of(session: Session, subscription_id: str) -> dict[str, int]:
    """Feature id -> quantity bought of each per-unit price."""
    rows = core_rows(session, _QUANTITIES_OF, {"subscription_id": subscription_id})
    return {str(feature_id): int(quantity) for feature_id, quantity in map(tuple, rows)}


def due_ids(session: Session, now: datetime, limit: int = 500) -> list[str]:
    """Subscriptions with a time-driven transition due at ``now``."""
    live = col(Subscription.status).in_(LIVE)
    query = select(Subscription.id).where(
        or_(
            and_(
                col(Subscription.status) == SubscriptionStatus.NOT_STARTED.value,
                col(Subscription.start_date) <= now,
            ),
            and_(
                col(Subscription.status) == SubscriptionStatus.IN_TRIAL.value,
                col(Subscription.trial_end_date) <= now,
            ),
            and_(
                live,
                or_(
                    col(Subscription.effective_end_date) <= now,
                    col(Subscription.migrate_at) <= now,
                    col(Subscription.current_billing_period_end) <= now,
                ),
            ),
        )
    )
    return list(session.exec(query.limit(limit)))
