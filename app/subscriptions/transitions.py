"""Time-driven transitions: future starts, trial ends, scheduled cancellations and
migrations, and billing period roll-over.

``advance`` applies every transition due for one subscription, earliest first (a
cancellation before anything else due at the same moment). ``run_due`` finds the due
subscriptions and advances each in its own transaction under a row lock, re-checking
after the lock, so several workers running it at once apply each transition once.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

import structlog
from sqlalchemy import Engine
from sqlmodel import Session, select

from app import clock
from app.customers import repository as customers
from app.db import in_transaction, unit_of_work
from app.models import Subscription
from app.models.subscriptions import LIVE_STATUSES, SubscriptionStatus
from app.subscriptions import lifecycle, migration, repository
from app.subscriptions.errors import MigrationNotPossible

log = structlog.get_logger(__name__)

LIVE = {s.value for s in LIVE_STATUSES}


def _next_due(subscription: Subscription, now: datetime) -> tuple[datetime, str] | None:
    status = subscription.status
    due: list[tuple[datetime, int, str]] = []
    if status == SubscriptionStatus.NOT_STARTED and subscription.start_date <= now:
        due.append((subscription.start_date, 0, "start"))
    if status in LIVE:
        if subscription.effective_end_date and subscription.effective_end_date <= now:
            due.append((subscription.effective_end_date, 1, "end"))
        if (
            status == SubscriptionStatus.IN_TRIAL
            and subscription.trial_end_date
            and subscription.trial_end_date <= now
        ):
            due.append((subscription.trial_end_date, 2, "trial_end"))
        if subscription.migrate_at and subscription.migrate_at <= now:
            due.append((subscription.migrate_at, 3, "migrate"))
        if subscription.current_billing_period_end <= now:
            due.append((subscription.current_billing_period_end, 4, "roll"))
    if not due:
        return None
    at, _, kind = min(due)
    return at, kind


def advance(session: Session, subscription: Subscription, now: datetime) -> int:
    """Apply every transition due at ``now``; returns how many were applied."""
    applied = 0
    while (step := _next_due(subscription, now)) is not None:
        at, kind = step
        if kind == "start":
            lifecycle.start(session, subscription, now)
        elif kind == "end":
            lifecycle.end(
                session,
                subscription,
                at,
                SubscriptionStatus.CANCELED,
                subscription.cancel_reason or "cancelled",
            )
            lifecycle.fall_back(session, subscription, at, now)
        elif kind == "trial_end":
            lifecycle.convert_trial(session, subscription, at, now)
        elif kind == "migrate":
            subscription.migrate_at = None
            try:
                with session.begin_nested():
                    migration.migrate_now(session, subscription, at)
            except MigrationNotPossible as exc:
                # The catalog changed since the migration was asked for; the
                # subscription stays on its version rather than blocking the clock.
                log.warning(
                    "subscription.migration_skipped",
                    subscription_id=subscription.ref_id,
                    reason=exc.message,
                )
        else:
            lifecycle.refresh_period(subscription, now)
        subscription.updated_at = now
        session.add(subscription)
        session.flush()
        applied += 1
        log.info(
            "subscription.transition",
            subscription_id=subscription.ref_id,
            kind=kind,
            at=at.isoformat(),
        )
    return applied


def run_due(engine: Engine | None = None, now: datetime | None = None) -> int:
    """Advance every due subscription; safe to run from several workers at once."""
    moment = now or clock.now()
    with unit_of_work(engine) as session:
        ids = repository.due_ids(session, moment)

    def advance_one(session: Session, *, subscription_id: str) -> int:
        query = select(Subscription).where(Subscription.id == subscription_id)
        if session.get_bind().dialect.name == "postgresql":
            # The customer's row first, as every writer for one customer locks it (the
            # transition bumps its entitlements version), so writers never deadlock.
            owner = session.exec(
                select(Subscription.customer_id).where(Subscription.id == subscription_id)
            ).first()
            if owner is not None:
                customers.lock_customer(session, owner)
            query = query.with_for_update(skip_locked=True)
        subscription = session.exec(query).first()
        return 0 if subscription is None else advance(session, subscription, moment)

    applied = 0
    for subscription_id in ids:
        try:
            applied += in_transaction(
                partial(advance_one, subscription_id=subscription_id), engine=engine
            )
        except Exception:
            log.exception("subscription.transition_failed", subscription_id=subscription_id)
    return applied
