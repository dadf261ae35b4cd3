"""The reconciliation sweep: repairs whatever the jobs and webhooks left undone.

It runs every RECONCILE_INTERVAL_SECONDS in the workers (and on demand with
``billing-sync reconcile [--dry-run]``) and looks, in this order, for:

0. cards that never reached Stripe (their job lost with the broker's data): the customer
   shows PAYMENT_METHOD_LOST, so its paid subscriptions stop waiting for the card;
1. objects whose synced generation lags (never synced, a retryable failure that ran
   out of retries, a lost job): reconciled again;
2. Stripe subscriptions made for this service's environments that no local
   subscription points to (an orphan: cancelled, and logged as an incident) or that a
   local one should point to but does not know yet (adopted, then reconciled);
3. PAYMENT_PENDING subscriptions without a Checkout Session: one is created;
4. stale reads (pending payments, subscriptions not read back for a while): Stripe is
   read again, which repairs a lost webhook.

Each finding is reported as a ``Difference``; with ``dry_run`` nothing is changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

import stripe
import structlog
from sqlmodel import Session, col, or_, select

from app import clock
from app.billing import checkout, customers, reconcile, state, subscriptions
from app.billing.client import gateway
from app.billing.errors import BillingError
from app.billing.idempotency import idempotency_key
from app.billing.locks import customer_lock
from app.config import get_settings
from app.db import in_transaction
from app.models import Customer, Environment, Subscription
from app.models.subscriptions import LIVE_STATUSES, SubscriptionStatus

log = structlog.get_logger(__name__)

LIVE = {s.value for s in LIVE_STATUSES}
BATCH = 1000
# A PAYMENT_PENDING subscription this young may still have its own checkout job in flight.
CHECKOUT_GRACE_SECONDS = 60
# Longer than a card's job takes with all its retries (12, backing off up to 5 minutes).
CARD_LOST_AFTER_SECONDS = 2 * 3600


@dataclass(frozen=True)
class Difference:
    kind: str  # lost_card, lagging_*, orphan, adopted, no_checkout, stale
    object_id: str
    detail: str
    action: str


@dataclass
class SweepReport:
    dry_run: bool
    differences: list[Difference] = field(default_factory=list)
    failures: int = 0

    def add(self, difference: Difference) -> None:
        self.differences.append(difference)
        log.info(
            "billing.sweep.difference",
            kind=difference.kind,
            object_id=difference.object_id,
            detail=difference.detail,
            action=difference.action if not self.dry_run else f"would {difference.action}",
        )


def _attempt(report: SweepReport, what: str, object_id: str, fn: Callable[[], object]) -> None:
    if report.dry_run:
        return
    try:
        fn()
    except Exception:
        report.failures += 1
        log.exception("billing.sweep.failed", step=what, object_id=object_id)


def _retryable(code: Any) -> Any:
    """Never tried again: a refusal, until the next change. Everything else is."""
    return or_(code.is_(None), code.in_(state.RETRYABLE_CODES))


def lagging(session: Session) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(id, ref) of customers and subscriptions whose Stripe side lags the local one."""
    found_customers = session.exec(
        select(Customer.id, Customer.customer_id)
        .where(
            col(Customer.synced_generation) < col(Customer.sync_generation),
            col(Customer.payment_method_generation).is_(None),
            col(Customer.archived_at).is_(None),
            _retryable(col(Customer.billing_sync_error_code)),
        )
        .limit(BATCH)
    ).all()
    found_subscriptions = session.exec(
        select(Subscription.id, Subscription.ref_id)
        .where(
            col(Subscription.synced_generation) < col(Subscription.sync_generation),
            _retryable(col(Subscription.billing_sync_error_code)),
        )
        .limit(BATCH)
    ).all()
    return [tuple(r) for r in found_customers], [tuple(r) for r in found_subscriptions]  # type: ignore[misc]


def lost_cards(session: Session) -> list[tuple[str, str, int]]:
    """(id, ref, generation) of customers whose card has been on its way for longer than
    any job carrying it can take, retries included."""
    cutoff = clock.now() - timedelta(seconds=CARD_LOST_AFTER_SECONDS)
    rows = session.exec(
        select(Customer.id, Customer.customer_id, Customer.payment_method_generation).where(
            col(Customer.payment_method_generation).is_not(None),
            col(Customer.payment_method_requested_at) < cutoff,
        )
    ).all()
    return [(r[0], r[1], int(r[2] or 0)) for r in rows]


def _repair_lost_cards(report: SweepReport) -> None:
    for customer_id, ref, generation in in_transaction(lost_cards):
        report.add(Difference("lost_card", ref, "a card never reached Stripe", "ask for it again"))
        _attempt(
            report, "card", customer_id, partial(state.give_up_on_card, customer_id, generation)
        )


def _repair_lagging(report: SweepReport) -> None:
    lagging_customers, lagging_subscriptions = in_transaction(lagging)
    for customer_id, ref in lagging_customers:
        report.add(Difference("lagging_customer", ref, "Stripe customer behind", "sync"))
        _attempt(report, "customer", customer_id, partial(customers.sync_customer, customer_id))
    for subscription_id, ref in lagging_subscriptions:
        report.add(Difference("lagging_subscription", ref, "Stripe subscription behind", "sync"))
        _attempt(
            report,
            "subscription",
            subscription_id,
            partial(subscriptions.sync_subscription, subscription_id),
        )


def accounts(session: Session) -> dict[str | None, set[str]]:
    """The Stripe accounts to scan, each with the environments it bills: the default
    account (STRIPE_API_KEY, key None) for environments without one of their own, and
    each environment with its own account."""
    found: dict[str | None, set[str]] = {}
    for environment in session.exec(select(Environment)).all():
        if environment.has_own_stripe:
            found[environment.id] = {environment.id}
        elif get_settings().billing_integrated:
            found.setdefault(None, set()).add(environment.id)
    return found


def _claim(session: Session, remote: stripe.Subscription) -> tuple[str | None, str | None, str]:
    """(local subscription id, local customer id, verdict) for a live Stripe subscription:
    ``wanted`` (a local subscription points to it), ``adopt`` (the local one does not
    know its id yet), or ``orphan``."""
    tags = subscriptions.metadata_of(remote)
    local = reconcile.subscription_by_billing_ids(
        session,
        ref_id=tags.get("billing_sync_subscription_id"),
        environment_id=tags.get("billing_sync_environment_id"),
    )
    if local is None:
        owner = session.exec(
            select(Customer.id).where(Customer.billing_id == _customer_id(remote))
        ).first()
        return None, owner, "orphan"
    if local.billing_id == remote.id:
        return local.id, local.customer_id, "wanted"
    if local.billing_id is None:
        return local.id, local.customer_id, "adopt"
    return local.id, local.customer_id, "orphan"


def _customer_id(remote: stripe.Subscription) -> str:
    owner = remote.customer
    return owner if isinstance(owner, str) else owner.id


def _cancel_orphan(account: str | None, remote_id: str) -> None:
    gw = gateway(account)
    gw.call(
        lambda: gw.stripe.v1.subscriptions.cancel(
            remote_id,
            {},
            {"idempotency_key": idempotency_key("subscription.cancel_orphan", remote_id)},
        )
    )
    log.error("billing.incident.orphan_cancelled", billing_id=remote_id)


def _settle(account: str | None, remote: stripe.Subscription) -> None:
    """Decide about one Stripe subscription again under its customer's lock (a job may
    have created it a moment ago and be about to record its id), then act."""
    local_id, customer_id, _ = in_transaction(lambda s: _claim(s, remote))
    if customer_id is None:
        _cancel_orphan(account, remote.id)
        return
    with customer_lock(customer_id):
        local_id, _, verdict = in_transaction(lambda s: _claim(s, remote))
        if verdict == "orphan":
            _cancel_orphan(account, remote.id)
        elif verdict == "adopt" and local_id is not None:
            state.record_subscription_billing_id(local_id, remote.id)
            subscriptions.sync_subscription(local_id)
            reconcile.reconcile_subscription(local_id)


def _repair_orphans(report: SweepReport) -> None:
    for account, ours in in_transaction(accounts).items():
        _repair_orphans_of(report, account, ours)


def _repair_orphans_of(report: SweepReport, account: str | None, ours: set[str]) -> None:
    gw = gateway(account)
    listing = gw.call(lambda: gw.stripe.v1.subscriptions.list({"limit": 100}))
    for remote in listing.auto_paging_iter():
        tags = subscriptions.metadata_of(remote)
        if tags.get("billing_sync_environment_id") not in ours:
            continue  # made by someone else sharing the account
        if remote.status in ("canceled", "incomplete_expired"):
            continue
        _, _, verdict = in_transaction(partial(_claim, remote=remote))
        if verdict == "wanted":
            continue
        ref = tags.get("billing_sync_subscription_id", "")
        if verdict == "adopt":
            report.add(Difference("adopted", remote.id, f"made for {ref}", "record and sync"))
        else:
            report.add(
                Difference("orphan", remote.id, f"no local subscription wants it ({ref})", "cancel")
            )
        _attempt(report, "orphan", remote.id, partial(_settle, account, remote))


def without_checkout(session: Session) -> list[tuple[str, str]]:
    cutoff = clock.now() - timedelta(seconds=CHECKOUT_GRACE_SECONDS)
    rows = session.exec(
        select(Subscription.id, Subscription.ref_id)
        .where(
            Subscription.status == SubscriptionStatus.PAYMENT_PENDING.value,
            col(Subscription.billing_id).is_(None),
            col(Subscription.checkout_billing_id).is_(None),
            col(Subscription.created_at) < cutoff,
        )
        .limit(BATCH)
    ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _repair_checkouts(report: SweepReport) -> None:
    for subscription_id, ref in in_transaction(without_checkout):
        report.add(Difference("no_checkout", ref, "payment pending, no checkout", "create one"))

        def create(s: str) -> None:
            try:
                checkout.create_checkout(s, {}, requested_by="sweep")
            except BillingError as exc:
                if exc.retryable:
                    raise
                state.record_subscription_failure(s, exc)
            except checkout.CheckoutNotConfigured as exc:
                state.record_subscription_failure(s, exc)

        _attempt(report, "checkout", subscription_id, partial(create, subscription_id))


def due_for_read(session: Session, stale_after_seconds: float) -> list[tuple[str, str]]:
    """Subscriptions whose Stripe side may have moved without us hearing of it."""
    stale = clock.now() - timedelta(seconds=stale_after_seconds)
    query = select(Subscription.id, Subscription.ref_id).where(
        or_(
            col(Subscription.billing_id).is_not(None),
            col(Subscription.checkout_billing_id).is_not(None),
        ),
        or_(
            Subscription.status == SubscriptionStatus.PAYMENT_PENDING.value,
            col(Subscription.payment_collection) != "NOT_REQUIRED",
            col(Subscription.billing_checked_at).is_(None),
            col(Subscription.billing_checked_at) < stale,
        ),
        col(Subscription.status).in_([*LIVE, SubscriptionStatus.PAYMENT_PENDING.value]),
    )
    return [tuple(r) for r in session.exec(query.limit(BATCH)).all()]  # type: ignore[misc]


def _repair_stale(report: SweepReport, stale_after_seconds: float) -> None:
    for subscription_id, ref in in_transaction(lambda s: due_for_read(s, stale_after_seconds)):
        report.add(Difference("stale", ref, "not read back from Stripe lately", "re-read"))
        _attempt(
            report,
            "read",
            subscription_id,
            partial(reconcile.reconcile_subscription, subscription_id),
        )


def sweep(stale_after_seconds: float, *, dry_run: bool = False) -> SweepReport:
    report = SweepReport(dry_run=dry_run)
    _repair_lost_cards(report)
    _repair_lagging(report)
    _repair_orphans(report)
    _repair_checkouts(report)
    _repair_stale(report, stale_after_seconds)
    log.info(
        "billing.swept",
        differences=len(report.differences),
        failures=report.failures,
        dry_run=dry_run,
    )
    return report
