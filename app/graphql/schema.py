"""The schema: every domain's queries and mutations merged into one root each."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from app.config import Settings, get_settings
from app.graphql.compiled import Answer, Plans
from app.graphql.coupons import CouponQueries
from app.graphql.customers import (
    CustomerMutations,
    CustomerQueries,
    read_customer,
    write_provision,
)
from app.graphql.documents import ValidationCache
from app.graphql.entitlement_updates import EntitlementSubscriptions
from app.graphql.entitlements import (
    EntitlementMutations,
    EntitlementQueries,
    cached_entitlement,
)
from app.graphql.estimates import EstimateMutations, read_estimate, read_estimate_update
from app.graphql.events import EventMutations
from app.graphql.execution import ExecutionContext as PlainFieldExecution
from app.graphql.imports import ImportMutations, ImportQueries
from app.graphql.input_limits import InputBounds, InputLimits
from app.graphql.limits import document_limits
from app.graphql.promotions import PromotionalEntitlementMutations
from app.graphql.subscriptions import (
    SubscriptionMutations,
    SubscriptionQueries,
    read_subscription,
)

Query = merge_types(
    "Query",
    (CustomerQueries, SubscriptionQueries, CouponQueries, EntitlementQueries, ImportQueries),
)
Mutation = merge_types(
    "Mutation",
    (
        CustomerMutations,
        SubscriptionMutations,
        EstimateMutations,
        EntitlementMutations,
        PromotionalEntitlementMutations,
        EventMutations,
        ImportMutations,
    ),
)


# The push channel's one root field; a type of its own so the root is called Subscription.
Subscription = merge_types("Subscription", (EntitlementSubscriptions,))


class Schema(strawberry.Schema):
    # Known documents answered from cached answers (set by new_schema).
    plans: Plans | None = None

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Expected errors are answers, not incidents; app.graphql.errors logs the others.
        return


# Schemas built, by the settings a schema reads (its limits): a process builds one; the
# tests build an application per test, mostly with the same limits and other settings
# that change from test to test (a Stripe test server's address).
_built: dict[tuple[int, ...], strawberry.Schema] = {}
_SCHEMA_SETTINGS = (
    "graphql_max_depth",
    "graphql_max_aliases",
    "graphql_max_mutation_fields",
    "graphql_max_tokens",
    "max_list_items",
    "max_string_length",
)


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or get_settings()
    key = tuple(getattr(settings, name) for name in _SCHEMA_SETTINGS)
    found = _built.get(key)
    if found is None:
        found = _built[key] = new_schema(settings)
        while len(_built) > 8:
            del _built[next(iter(_built))]
    return found


def new_schema(settings: Settings | None = None) -> strawberry.Schema:
    """A schema of its own (build_schema shares one per settings)."""
    # A copy: the schema is shared by settings with the same limits, and must not see
    # a later change to the object it was built from.
    settings = (settings or get_settings()).model_copy(deep=True)
    bounds = InputBounds(settings)
    schema = Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        execution_context_class=PlainFieldExecution,
        extensions=[
            *document_limits(bounds.settings),
            lambda: ParserCache(maxsize=512),
            lambda: ValidationCache(maxsize=512),
            lambda: InputLimits(bounds),
        ],
    )
    answers = {
        "entitlement": Answer(cached=cached_entitlement),
        "getCustomerByRefId": Answer(read=read_customer),
        "getSubscription": Answer(read=read_subscription),
        "estimateSubscription": Answer(read=read_estimate, mutation=True),
        "estimateSubscriptionUpdate": Answer(read=read_estimate_update, mutation=True),
        "provisionCustomer": Answer(write=write_provision),
    }
    schema.plans = Plans(schema, answers, bounds)
    return schema
