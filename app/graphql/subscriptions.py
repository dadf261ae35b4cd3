"""Subscription queries and mutations: each unpacks its input and calls one service."""

from __future__ import annotations

from typing import Any

import strawberry
import structlog
from dramatiq import Message
from dramatiq.results import ResultFailure
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app import jobs
from app.config import get_settings
from app.entitlements import service as entitlements
from app.graphql.common import selects
from app.graphql.compiled import Paths
from app.graphql.context import Info, as_dict, run
from app.graphql.customers import Customer
from app.graphql.entitlement_types import Entitlement
from app.graphql.subscription_inputs import (
    GetActiveSubscriptionsInput,
    GetSubscriptionInput,
    ProvisionSubscriptionInput,
    SubscriptionCancellationInput,
    SubscriptionInput,
    SubscriptionMigrationInput,
    UpdateSubscriptionInput,
)
from app.graphql.subscription_types import (
    CustomerSubscription,
    ProvisionSubscriptionResult,
    SubscriptionMigrationResult,
)
from app.models import Customer as CustomerRow
from app.models import Environment, Subscription
from app.subscriptions import service

log = structlog.get_logger(__name__)


def rendered(
    session: Session, row: Subscription, *, promotions: bool = True
) -> CustomerSubscription:
    """The subscription as the API shows it; ``promotions=False`` leaves its customer's
    ``promotionalEntitlements`` unread (a query that does not ask for them)."""
    view = service.view(session, row)
    return CustomerSubscription.of(view, Customer.of(session, view.customer, promotions=promotions))


def _subscription(
    session: Session, environment: Environment, subscription_id: str, promotions: bool
) -> CustomerSubscription:
    row = service.get_subscription(session, environment, subscription_id)
    return rendered(session, row, promotions=promotions)


def read_subscription(
    session: Session, environment: Environment, arguments: dict[str, Any], paths: Paths
) -> CustomerSubscription:
    """getSubscription on a plan (app.graphql.compiled): the resolver's read."""
    promotions = ("customer", "promotionalEntitlements") in paths
    return _subscription(session, environment, arguments["input"].subscription_id, promotions)


def _asks_for_promotions(info: Info) -> bool:
    return selects(info.selected_fields[0].selections, "customer", "promotionalEntitlements")


async def _provision(info: Info, input: ProvisionSubscriptionInput) -> ProvisionSubscriptionResult:
    data = as_dict(input)
    # The subscription and the entitlements are read and computed only when asked for
    # (a backend opening a checkout asks for the status and the URL).
    asked = info.selected_fields[0].selections
    with_subscription = selects(asked, "subscription")
    promotions = selects(asked, "subscription", "customer", "promotionalEntitlements")
    with_entitlements = selects(asked, "entitlements")

    def shown(
        session: Session, environment: Environment, row: Subscription
    ) -> tuple[CustomerSubscription | None, list[Entitlement] | None]:
        subscription = rendered(session, row, promotions=promotions) if with_subscription else None
        granted = _entitlements(session, environment, row) if with_entitlements else None
        return subscription, granted

    def call(
        session: Session, environment: Environment
    ) -> tuple[ProvisionSubscriptionResult, service.ProvisionOutcome]:
        outcome = service.provision_subscription(session, environment, data)
        subscription, granted = shown(session, environment, outcome.subscription)
        result = ProvisionSubscriptionResult(
            id=outcome.subscription.id,
            status=outcome.status,
            checkout_url=outcome.checkout_url,
            checkout_billing_id=outcome.checkout_billing_id,
            subscription=subscription,
            entitlements=granted,
        )
        return result, outcome

    result, outcome = await run(info, call)
    # The jobs were sent when the transaction committed; now the caller may wait for
    # them, within the configured bound. A timeout still answers: the checkout URL can
    # be read from the subscription later.
    if outcome.checkout_job is not None:
        answer = await run_in_threadpool(await_job, outcome.checkout_job)
        if isinstance(answer, dict):
            result.checkout_url = answer.get("url")
            result.checkout_billing_id = answer.get("billing_id")
    if outcome.payment_job is not None:
        await run_in_threadpool(await_job, outcome.payment_job)
        ref_id = outcome.subscription.ref_id

        def reread(
            session: Session, environment: Environment
        ) -> tuple[CustomerSubscription | None, list[Entitlement] | None]:
            row = service.get_subscription(session, environment, ref_id)
            return shown(session, environment, row)

        if with_subscription or with_entitlements:
            result.subscription, result.entitlements = await run(info, reread)
    return result


def _entitlements(
    session: Session, environment: Environment, subscription: Subscription
) -> list[Entitlement]:
    """What the customer is entitled to in the subscription's scope, as of this change."""
    customer = session.get(CustomerRow, subscription.customer_id)
    assert customer is not None
    decisions = entitlements.checks(
        session, environment, customer.customer_id, subscription.resource_id, fresh=True
    )
    return [Entitlement.of(decision) for decision in decisions]


def await_job(message: Message[Any]) -> Any:
    try:
        return jobs.wait_for_result(message, get_settings().job_result_timeout_seconds)
    except jobs.JobTimedOut:
        log.warning("provision.job_timed_out", actor=message.actor_name)
    except ResultFailure as exc:
        # The class only: the job's message may quote what it was given.
        log.warning("provision.job_failed", actor=message.actor_name, error=exc.orig_exc_type)
    except Exception as exc:  # noqa: BLE001 - the change is stored; the answer can wait
        # The results backend could not be reached: the caller still gets its answer,
        # and the checkout URL or payment state shows on the subscription later.
        log.warning("provision.job_unreachable", actor=message.actor_name, error=type(exc).__name__)
    return None


@strawberry.type
class SubscriptionQueries:
    @strawberry.field
    async def get_active_subscriptions(
        self, info: Info, input: GetActiveSubscriptionsInput
    ) -> list[CustomerSubscription]:
        promotions = _asks_for_promotions(info)

        def call(session: Session, environment: Environment) -> list[CustomerSubscription]:
            rows = service.active_subscriptions(
                session, environment, input.customer_id, input.resource_id
            )
            return [rendered(session, row, promotions=promotions) for row in rows]

        return await run(info, call)

    @strawberry.field
    async def get_subscription(
        self, info: Info, input: GetSubscriptionInput
    ) -> CustomerSubscription:
        promotions = _asks_for_promotions(info)

        def call(session: Session, environment: Environment) -> CustomerSubscription:
            return _subscription(session, environment, input.subscription_id, promotions)

        return await run(info, call)


@strawberry.type
class SubscriptionMutations:
    @strawberry.mutation
    async def provision_subscription_v2(
        self, info: Info, input: ProvisionSubscriptionInput
    ) -> ProvisionSubscriptionResult:
        return await _provision(info, input)

    # The older name of provisionSubscriptionV2, kept for clients written against it.
    @strawberry.mutation
    async def provision_subscription(
        self, info: Info, input: ProvisionSubscriptionInput
    ) -> ProvisionSubscriptionResult:
        return await _provision(info, input)

    @strawberry.mutation
    async def create_subscription(
        self, info: Info, subscription: SubscriptionInput
    ) -> CustomerSubscription:
        data = as_dict(subscription)

        def call(session: Session, environment: Environment) -> CustomerSubscription:
            return rendered(session, service.create_subscription(session, environment, data))

        return await run(info, call)

    @strawberry.mutation
    async def update_one_subscription(
        self, info: Info, input: UpdateSubscriptionInput
    ) -> CustomerSubscription:
        data = as_dict(input)

        def call(session: Session, environment: Environment) -> CustomerSubscription:
            return rendered(session, service.update_subscription(session, environment, data))

        return await run(info, call)

    @strawberry.mutation
    async def cancel_subscription(
        self, info: Info, input: SubscriptionCancellationInput
    ) -> CustomerSubscription:
        data = as_dict(input)

        def call(session: Session, environment: Environment) -> CustomerSubscription:
            return rendered(session, service.cancel_subscription(session, environment, data))

        return await run(info, call)

    @strawberry.mutation
    async def migrate_subscription_to_latest(
        self, info: Info, input: SubscriptionMigrationInput
    ) -> SubscriptionMigrationResult:
        data = as_dict(input)

        def call(session: Session, environment: Environment) -> SubscriptionMigrationResult:
            row = service.migrate_subscription(session, environment, data)
            return SubscriptionMigrationResult(subscription_id=row.ref_id)

        return await run(info, call)
