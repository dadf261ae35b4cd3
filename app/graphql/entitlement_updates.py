"""The push channel: a customer's entitlements, sent again whenever they change.

A GraphQL subscription over websockets (graphql-transport-ws). The first message is the
customer's entitlements as they are when the subscription starts, so a client that
loaded them before subscribing can never miss a change made in between; every later
message is the whole list again, after each commit that changes it, in this process or
another (``app.entitlements.push``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from sqlmodel import Session
from strawberry.types.unset import UNSET

from app import clock
from app.entitlements import push, service
from app.errors import ValidationFailed
from app.graphql.context import Info, run
from app.graphql.entitlement_types import Entitlement
from app.models import Environment
from app.validation import check_id


@strawberry.input
class EntitlementsUpdatedInput:
    customer_id: str
    resource_id: str | None = UNSET


@strawberry.type
class EntitlementsUpdate:
    customer_id: str
    resource_id: str | None
    entitlements: list[Entitlement]


def _checked(value: str | None, field: str) -> None:
    if value is None:
        return
    try:
        check_id(value)
    except ValueError as exc:
        raise ValidationFailed(f"{field}: {exc}", field=field) from None


@strawberry.type
class EntitlementSubscriptions:
    @strawberry.subscription
    async def entitlements_updated(
        self, info: Info, input: EntitlementsUpdatedInput
    ) -> AsyncGenerator[EntitlementsUpdate, None]:
        customer_ref = input.customer_id
        resource_id = None if input.resource_id is UNSET else input.resource_id
        _checked(customer_ref, "input.customerId")
        _checked(resource_id, "input.resourceId")
        environment = info.context.environment

        def read(
            session: Session, environment: Environment
        ) -> tuple[str | None, EntitlementsUpdate]:
            current = service.state_for(
                session, environment.id, customer_ref, resource_id, clock.now()
            )
            decisions = service.checks(session, environment, customer_ref, resource_id)
            update = EntitlementsUpdate(
                customer_id=customer_ref,
                resource_id=resource_id,
                entitlements=[Entitlement.of(decision) for decision in decisions],
            )
            return current.customer_id, update

        watch = push.watch(environment.id, customer_ref)
        try:
            while True:
                # Cleared before reading: a change committed while reading wakes it again.
                watch.event.clear()
                customer_id, update = await run(info, read, write=False)
                if customer_id is not None and customer_id != watch.customer_id:
                    # Changes before now that named only the row id were not heard: read
                    # again, now that they wake this watch.
                    push.identify(watch, customer_id)
                    continue
                yield update
                await watch.event.wait()
        finally:
            push.unwatch(watch)
