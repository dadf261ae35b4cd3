"""Entitlement checks and usage reports: each unpacks its input and calls one service."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import strawberry
from sqlmodel import Session
from strawberry.types.unset import UNSET

from app.entitlements import service
from app.entitlements.schemas import ReportUsageInput as UsageSchema
from app.errors import ValidationFailed
from app.graphql.common import JSON, UsageUpdateBehavior
from app.graphql.context import Info, as_dict, run
from app.graphql.entitlement_types import Entitlement, UsageMeasurementWithCurrentUsage
from app.models import Environment
from app.validation import validate


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


# Ids are at most this long everywhere; a longer one cannot name anything.
MAX_ID = 255
MAX_REQUESTED_VALUES = 100


def _id(value: object, field: str) -> None:
    if isinstance(value, str) and (not 0 < len(value) <= MAX_ID or "\x00" in value):
        raise ValidationFailed(
            f"{field}: must be 1-{MAX_ID} characters without NUL characters", field=field
        )


def _check_query(query: FetchEntitlementQuery) -> service.CheckQuery:
    options = query.options if query.options not in (None, UNSET) else None
    values = _given(options.requested_values) if options is not None else None
    _id(query.customer_id, "query.customerId")
    _id(query.feature_id, "query.featureId")
    _id(_given(query.resource_id), "query.resourceId")
    if isinstance(values, list):
        if len(values) > MAX_REQUESTED_VALUES:
            raise ValidationFailed(
                f"query.options.requestedValues: at most {MAX_REQUESTED_VALUES} values",
                field="query.options.requestedValues",
            )
        for index, value in enumerate(values):
            _id(value, f"query.options.requestedValues[{index}]")
    return service.CheckQuery(
        customer_ref=query.customer_id,
        feature_ref=query.feature_id,
        resource_id=_given(query.resource_id),  # type: ignore[arg-type]
        requested_usage=_requested_usage(options.requested_usage) if options else None,
        requested_values=tuple(values) if isinstance(values, list) else None,
    )


def _reports(items: list[ReportUsageInput], root: str) -> list[service.UsageReport]:
    return [
        validate(
            UsageSchema, as_dict(item), root=f"{root}[{index}]" if len(items) > 1 else root
        ).report()
        for index, item in enumerate(items)
    ]


@strawberry.type
class EntitlementQueries:
    @strawberry.field
    async def entitlement(self, info: Info, query: FetchEntitlementQuery) -> Entitlement:
        check = _check_query(query)
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
        reports = _reports([input], "input")

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
            validate(UsageSchema, as_dict(item), root=f"input.usages[{index}]").report()
            for index, item in enumerate(input.usages)
        ]

        def call(
            session: Session, environment: Environment
        ) -> list[UsageMeasurementWithCurrentUsage]:
            measured = service.report_usage(session, environment, reports)
            return [UsageMeasurementWithCurrentUsage.of(item) for item in measured]

        return await run(info, call)
