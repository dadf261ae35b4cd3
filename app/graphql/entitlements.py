"""Entitlement checks and usage reports: each unpacks its input and calls one service."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, cast

import strawberry
from sqlmodel import Session
from strawberry.types.arguments import InputContext
from strawberry.types.base import get_object_definition
from strawberry.types.unset import UNSET

from app.entitlements import service
from app.entitlements.schemas import ReportUsageInput as UsageSchema
from app.errors import ValidationFailed
from app.graphql.common import JSON, UsageUpdateBehavior
from app.graphql.context import Info, as_dict, run
from app.graphql.entitlement_types import Entitlement, UsageMeasurementWithCurrentUsage
from app.models import Environment
from app.validation import check_id, validate


@strawberry.input
class EntitlementOptions:
    requested_usage: float | None = UNSET
    requested_values: list[str] | None = UNSET


@strawberry.input
class FetchEntitlementQuery:
    customer_id: str
    feature_id: str
    resource_id: str | None = UNSET
    options: EntitlementOptions | None = UNSET


@strawberry.input
class FetchEntitlementsQuery:
    customer_id: str
    resource_id: str | None = UNSET


@strawberry.input
class ReportUsageInput:
    customer_id: str
    feature_id: str
    value: float
    resource_id: str | None = UNSET
    update_behavior: UsageUpdateBehavior | None = UNSET
    idempotency_key: str | None = UNSET
    created_at: str | None = UNSET
    dimensions: JSON | None = UNSET


@strawberry.input
class ReportUsageBaseInput(ReportUsageInput):
    pass


@strawberry.input
class ReportUsageBulkInput:
    usages: list[ReportUsageBaseInput]


def _given(value: object) -> object:
    return None if value is UNSET else value


def _requested_usage(value: object) -> Decimal | None:
    if value is None or value is UNSET:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


MAX_REQUESTED_VALUES = 100


def _id(value: object, field: str) -> None:
    if not isinstance(value, str):
        return
    try:
        check_id(value)
    except ValueError as exc:
        raise ValidationFailed(f"{field}: {exc}", field=field) from None


def _check_query(query: Mapping[str, Any]) -> service.CheckQuery:
    """The check as sent: graphql-core has coerced it to the input type already."""
    options = query.get("options") or {}
    values = options.get("requestedValues")
    resource_id = query.get("resourceId")
    _id(query["customerId"], "query.customerId")
    _id(query["featureId"], "query.featureId")
    _id(resource_id, "query.resourceId")
    if values is not None:
        if len(values) > MAX_REQUESTED_VALUES:
            raise ValidationFailed(
                f"query.options.requestedValues: at most {MAX_REQUESTED_VALUES} values",
                field="query.options.requestedValues",
            )
        for index, value in enumerate(values):
            _id(value, f"query.options.requestedValues[{index}]")
    return service.CheckQuery(
        customer_ref=query["customerId"],
        feature_ref=query["featureId"],
        resource_id=resource_id,
        requested_usage=_requested_usage(options.get("requestedUsage")),
        requested_values=tuple(values) if values is not None else None,
    )


def _as_sent(_cls: type, value: Mapping[str, Any], _context: InputContext) -> Mapping[str, Any]:
    return value


# The check is the hottest call: Strawberry building an object per input field cost
# more than the check itself, so the query reaches the resolver as graphql-core coerced
# it (a mapping keyed by the GraphQL field names) and ``_check_query`` reads it.
get_object_definition(FetchEntitlementQuery, strict=True).from_input = _as_sent


def _report(item: ReportUsageInput, root: str) -> service.UsageReport:
    return validate(UsageSchema, as_dict(item), root=root).report()


def cached_entitlement(environment: Environment, arguments: dict[str, Any]) -> Entitlement | None:
    """The ``entitlement`` field answered from the caches alone (app.graphql.compiled)."""
    cached = service.check_cached(environment, _check_query(arguments["query"]))
    return Entitlement.of(cached) if cached is not None else None


@strawberry.type
class EntitlementQueries:
    @strawberry.field
    async def entitlement(self, info: Info, query: FetchEntitlementQuery) -> Entitlement:
        check = _check_query(cast("Mapping[str, Any]", query))  # see _as_sent
        cached = service.check_cached(info.context.environment, check)
        if cached is not None:
            return Entitlement.of(cached)

        def call(session: Session, environment: Environment) -> Entitlement:
            return Entitlement.of(service.check(session, environment, check))

        return await run(info, call)

    @strawberry.field
    async def cached_entitlements(
        self, info: Info, query: FetchEntitlementsQuery
    ) -> list[Entitlement]:
        customer_ref = query.customer_id
        resource_id = _given(query.resource_id)
        _id(customer_ref, "query.customerId")
        _id(resource_id, "query.resourceId")

        def call(session: Session, environment: Environment) -> list[Entitlement]:
            decisions = service.checks(session, environment, customer_ref, resource_id)  # type: ignore[arg-type]
            return [Entitlement.of(decision) for decision in decisions]

        return await run(info, call)


@strawberry.type
class EntitlementMutations:
    @strawberry.mutation
    async def report_usage(
        self, info: Info, input: ReportUsageInput
    ) -> UsageMeasurementWithCurrentUsage:
        reports = [_report(input, "input")]

        def call(session: Session, environment: Environment) -> UsageMeasurementWithCurrentUsage:
            (measured,) = service.report_usage(session, environment, reports)
            return UsageMeasurementWithCurrentUsage.of(measured)

        return await run(info, call)

    @strawberry.mutation
    async def report_usage_bulk(
        self, info: Info, input: ReportUsageBulkInput
    ) -> list[UsageMeasurementWithCurrentUsage]:
        if len(input.usages) > service.MAX_BULK_REPORTS:
            raise service.TooManyItems(
                f"at most {service.MAX_BULK_REPORTS} usage reports per call, "
                f"got {len(input.usages)}",
                field="input.usages",
            )
        reports = [
            _report(item, f"input.usages[{index}]") for index, item in enumerate(input.usages)
        ]

        def call(
            session: Session, environment: Environment
        ) -> list[UsageMeasurementWithCurrentUsage]:
            measured = service.report_usage(session, environment, reports)
            return [UsageMeasurementWithCurrentUsage.of(item) for item in measured]

        return await run(info, call)
