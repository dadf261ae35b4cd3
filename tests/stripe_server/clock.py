"""The server clock and what happens when it moves.

`advance(seconds)` walks through every scheduled moment up to the target in order,
setting the clock to each one first so that objects and events carry the time they
happened at: trial-ending warnings (three days ahead), cancellations at `cancel_at`,
period renewals (which end trials), draft renewal invoices finalized an hour later,
retries of failed payments, incomplete subscriptions expiring after 23 hours, and
checkout sessions reaching `expires_at`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .periods import DAY
from .resources import checkout, cycles, invoices, subscriptions
from .state import Obj, State

INCOMPLETE_GRACE = 23 * 3600
Action = Callable[[State, Obj], None]


def _cancel(state: State, sub: Obj) -> None:
    subscriptions.end_subscription(state, sub, reason="cancellation_requested")


def _expire_incomplete(state: State, sub: Obj) -> None:
    before = state.render(sub)
    now = state.now()
    sub.update(status="incomplete_expired", ended_at=now, canceled_at=now)
    invoice = state.find(sub["latest_invoice"] or "")
    state.emit_update("customer.subscription.updated", sub, before)
    if invoice is not None and invoice["status"] == "open":
        invoices.void(state, invoice)


def _retry(state: State, invoice: Obj) -> None:
    invoices.collect(state, invoice)


def _finalize(state: State, invoice: Obj) -> None:
    invoices.advance_draft(state, invoice)


def _expire_session(state: State, session: Obj) -> None:
    checkout.expire_session(state, session)


def _due(state: State) -> list[tuple[int, int, Action, Obj]]:
    """(when, priority, action, object) for everything scheduled; lower priority first."""
    due: list[tuple[int, int, Action, Obj]] = []
    for sub in state.all("subscription"):
        status = sub["status"]
        if status == "incomplete":
            # A payment still processing keeps it incomplete until the payment settles.
            if not _processing(state, sub):
                due.append((sub["created"] + INCOMPLETE_GRACE, 3, _expire_incomplete, sub))
            continue
        if status not in ("active", "trialing", "past_due", "unpaid"):
            continue
        if status == "trialing" and not sub["_trial_will_end_sent"] and sub["trial_end"]:
            due.append((sub["trial_end"] - 3 * DAY, 0, subscriptions.warn_trial_ending, sub))
        end = cycles.period(state, sub)[1]
        if sub["cancel_at"] is not None and sub["cancel_at"] <= end:
            due.append((sub["cancel_at"], 1, _cancel, sub))
        else:
            due.append((end, 2, cycles.renew, sub))
    for invoice in state.all("invoice"):
        attempt_at = invoice["next_payment_attempt"]
        finalizes_at = invoice["automatically_finalizes_at"]
        if invoice["status"] == "draft" and invoice["auto_advance"] and finalizes_at is not None:
            due.append((finalizes_at, 4, _finalize, invoice))
        elif invoice["status"] == "open" and attempt_at is not None:
            due.append((attempt_at, 5, _retry, invoice))
    for session in state.all("checkout.session"):
        if session["status"] == "open":
            due.append((session["expires_at"], 6, _expire_session, session))
    return due


def _processing(state: State, sub: Obj) -> bool:
    invoice = state.find(sub["latest_invoice"] or "") or {}
    pi = state.find(invoice.get("_payment_intent") or "")
    return pi is not None and pi["status"] == "processing"


def advance(state: State, seconds: int) -> int:
    """Move the clock forward by `seconds`, running everything that falls due; return now."""
    with state.lock:
        target = state.now() + max(seconds, 0)
        try:
            while True:
                pending = [entry for entry in _due(state) if entry[0] <= target]
                if not pending:
                    break
                when, _, action, obj = min(pending, key=lambda entry: (entry[0], entry[1]))
                state.frozen = max(when, state.now())
                action(state, obj)
        finally:
            state.frozen = None
            state.offset = target - int(time.time())
        return state.now()
