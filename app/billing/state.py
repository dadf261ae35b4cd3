"""Sync bookkeeping: what Stripe should look like, and what it was brought to.

Desired state lives in the database. Every local change that Stripe must see bumps the
object's ``sync_generation`` in the same transaction as the change and writes the job
to the outbox (``request_*``). The reconcilers in this package read the desired state,
call Stripe with no transaction open, and record the generation they brought Stripe to
(``record_*``), guarded so that a slow, stale outcome never overwrites a newer one: the
object then still lags, and is reconciled again. The sweep finds whatever lags.

A refusal from Stripe is recorded as a stable code and a message safe to show; the next
successful sync clears it.
"""

from __future__ import annotations

from typing import Any

import dramatiq
from sqlalchemy import update
from sqlmodel import Session, SQLModel

from app.billing.crypto import seal
from app.billing.errors import BillingError
from app.customers.schemas import BillingInformation
from app.db import in_transaction
from app.jobs import enqueue
from app.models import Customer, Subscription
from app.models.base import utcnow

SYNC_CUSTOMER = "billing.sync_customer"
SYNC_SUBSCRIPTION = "billing.sync_subscription"
CREATE_CHECKOUT = "billing.create_checkout"

UNEXPECTED_CODE = "BILLING_SYNC_FAILED"
# Failures a later attempt can get past; the sweep retries objects that carry them.
RETRYABLE_CODES = (
    "BILLING_UNAVAILABLE",
    "BILLING_RATE_LIMITED",
    "BILLING_BUSY",
    "PAYMENT_METHOD_PENDING",
    UNEXPECTED_CODE,
)
UNEXPECTED_MESSAGE = "syncing with the billing provider failed; the worker's log has details"


def _bump(session: Session, row: Customer | Subscription) -> int:
    # An SQL increment: two transactions bumping at once both count.
    row.sync_generation = type(row).sync_generation + 1
    session.add(row)
    session.flush()
    session.refresh(row, ["sync_generation"])
    return row.sync_generation


def request_customer_sync(
    session: Session, customer: Customer, info: BillingInformation | None
) -> dramatiq.Message[Any]:
    """Record that the Stripe customer must change, and queue the job that changes it.

    Billing information is not stored: it rides sealed in the job (and, until the
    broker has it, in the outbox row). A payment method in it marks the customer as
    having one on its way, so a paid subscription waits for it instead of Checkout.
    """
    generation = _bump(session, customer)
    if info is not None and info.paymentMethodId:
        customer.payment_method_generation = generation
        customer.payment_method_requested_at = utcnow()
        session.add(customer)
        session.flush()
    sealed = seal(info.model_dump(exclude_none=True)) if info is not None else None
    return enqueue(
        session, SYNC_CUSTOMER, customer_id=customer.id, generation=generation, sealed=sealed
    )


def request_subscription_sync(
    session: Session, subscription: Subscription
) -> dramatiq.Message[Any]:
    _bump(session, subscription)
    return enqueue(session, SYNC_SUBSCRIPTION, subscription_id=subscription.id)


def request_checkout(
    session: Session, subscription: Subscription, options: dict[str, Any]
) -> dramatiq.Message[Any]:
    return enqueue(
        session,
        CREATE_CHECKOUT,
        subscription_id=subscription.id,
        options=options,
        customer_id=subscription.customer_id,
    )


class JobGaveUp(Exception):
    """A job that ran out of retries, as Dramatiq reports it: only the error's class."""

    def __init__(self, error_type: str) -> None:
        super().__init__(error_type)
        self.error_type = error_type


def _classes() -> dict[str, type[BillingError]]:
    found: dict[str, type[BillingError]] = {}
    pending: list[type[BillingError]] = [BillingError]
    while pending:
        cls = pending.pop()
        found[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    return found


def _codes() -> dict[str, str]:
    return {name: cls.code for name, cls in _classes().items()}


def is_retryable(error_type: str) -> bool:
    """Whether a failure of this class is tried again (anything not a known refusal is)."""
    cls = _classes().get(error_type)
    return True if cls is None else bool(cls.retryable)


def failure(error: BaseException) -> tuple[str, str]:
    """The stable code and the message safe to show for a failed sync."""
    if isinstance(error, JobGaveUp):
        code = _codes().get(error.error_type, UNEXPECTED_CODE)
        if code == UNEXPECTED_CODE:
            return code, UNEXPECTED_MESSAGE
        return code, f"gave up after retries ({code}); the sweep tries again"
    if isinstance(error, BillingError):
        param = error.details.get("param")
        return error.code, f"{error.message} (parameter {param})" if param else error.message
    return UNEXPECTED_CODE, UNEXPECTED_MESSAGE


def set_once(model: type[SQLModel], row_id: str, guard: str, **values: Any) -> None:
    """Set ``values`` on a row in its own transaction, unless its ``guard`` column is set
    already: a Stripe id is recorded the moment the object exists, never overwriting one
    recorded meanwhile."""
    in_transaction(lambda session: set_once_in(session, model, row_id, guard, **values))


def set_once_in(
    session: Session, model: type[SQLModel], row_id: str, guard: str, **values: Any
) -> None:
    """``set_once`` in the caller's transaction (a Core statement: no object is loaded
    or kept in step with it)."""
    table: Any = model.__table__  # type: ignore[attr-defined]
    session.connection().execute(
        update(table).where(table.c.id == row_id, table.c[guard].is_(None)).values(**values)
    )


def record_customer_billing_id(customer_id: str, billing_id: str) -> None:
    set_once(Customer, customer_id, "billing_id", billing_id=billing_id)


def record_customer_synced(
    customer_id: str,
    generation: int,
    *,
    card_generation: int | None = None,
    has_payment_method: bool | None = None,
) -> bool:
    """Stripe now reflects the customer at ``generation``; False if that is already stale.

    ``card_generation`` is the job's own generation when it carried a payment method:
    the pending card is cleared unless a newer card is on its way.
    """

    def work(session: Session) -> bool:
        customer = session.get(Customer, customer_id)
        if customer is None:
            return True
        if card_generation is not None and customer.payment_method_generation == card_generation:
            customer.payment_method_generation = None
        if has_payment_method is not None:
            customer.has_payment_method = has_payment_method
        if generation > customer.synced_generation:
            customer.synced_generation = generation
            customer.billing_sync_error = None
            customer.billing_sync_error_code = None
        session.add(customer)
        return customer.synced_generation >= customer.sync_generation

    return in_transaction(work)


def record_customer_failure(
    customer_id: str, error: BaseException, *, card_generation: int | None = None
) -> None:
    code, message = failure(error)

    def work(session: Session) -> None:
        customer = session.get(Customer, customer_id)
        if customer is None:
            return
        if card_generation is not None and customer.payment_method_generation == card_generation:
            customer.payment_method_generation = None
        customer.billing_sync_error_code = code
        customer.billing_sync_error = message
        session.add(customer)

    in_transaction(work)


def record_subscription_billing_id(subscription_id: str, billing_id: str) -> None:
    set_once(Subscription, subscription_id, "billing_id", billing_id=billing_id)


def record_subscription_synced(subscription_id: str, generation: int) -> bool:
    """Stripe now reflects the subscription at ``generation``; False if a newer change waits."""

    def work(session: Session) -> bool:
        subscription = session.get(Subscription, subscription_id)
        if subscription is None:
            return True
        if generation > subscription.synced_generation:
            subscription.synced_generation = generation
            subscription.billing_sync_error = None
            subscription.billing_sync_error_code = None
            session.add(subscription)
        return subscription.synced_generation >= subscription.sync_generation

    return in_transaction(work)


def record_subscription_failure(subscription_id: str, error: BaseException) -> None:
    code, message = failure(error)

    def work(session: Session) -> None:
        subscription = session.get(Subscription, subscription_id)
        if subscription is None:
            return
        subscription.billing_sync_error_code = code
        subscription.billing_sync_error = message
        session.add(subscription)

    in_transaction(work)


def record_subscription_checkout_id(subscription_id: str, checkout_id: str) -> None:
    set_once(Subscription, subscription_id, "checkout_billing_id", checkout_billing_id=checkout_id)


class PaymentMethodLost(BillingError):
    """A card given to the customer never reached Stripe (its job was lost with the
    broker's data): it must be given again."""

    code = "PAYMENT_METHOD_LOST"


def give_up_on_card(customer_id: str, generation: int) -> None:
    record_customer_failure(
        customer_id,
        PaymentMethodLost(
            "the payment method given never reached the billing provider; give it again"
        ),
        card_generation=generation,
    )
