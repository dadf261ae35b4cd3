"""Bulk import: the platform's ``importCustomersBulk`` / ``importSubscriptionsBulk`` (and
``importUsageBulk`` for the usage file), each answering with the import's id, and
``bulkImport`` for its progress and the outcome of each row."""

from __future__ import annotations

import enum
from typing import Any

import strawberry
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.errors import NotSupported, ValidationFailed
from app.graphql.common import JSON, BillingPeriod
from app.graphql.context import Info, as_dict, run
from app.graphql.subscription_inputs import (
    BillableFeatureInput,
    SubscriptionAddonInput,
    SubscriptionEntitlementInput,
)
from app.imports import service
from app.imports.outcomes import Outcome
from app.imports.schemas import MAX_ROWS_PER_CALL
from app.models import Environment
from app.models.imports import ImportKind

UNSET: Any = strawberry.UNSET
MAX_OUTCOMES_PER_CALL = 5000


@strawberry.input
class ImportCustomerInput:
    additional_meta_data: JSON | None = UNSET
    billing_id: str | None = UNSET
    customer_id: str | None = UNSET
    email: str | None = UNSET
    environment_id: str | None = UNSET
    name: str | None = UNSET
    payment_method_id: str | None = UNSET
    ref_id: str | None = UNSET
    salesforce_id: str | None = UNSET
    updated_at: str | None = UNSET


@strawberry.input
class ImportCustomerBulkInput:
    customers: list[ImportCustomerInput] | None = UNSET
    environment_id: str | None = UNSET
    integration_id: str | None = UNSET
    skip_invalid: bool | None = strawberry.field(
        default=UNSET,
        description="Import the valid rows and report the others (default: refuse all).",
    )


@strawberry.input
class ImportSubscriptionInput:
    additional_meta_data: JSON | None = UNSET
    addons: list[SubscriptionAddonInput] | None = UNSET
    billable_features: list[BillableFeatureInput] | None = UNSET
    billing_id: str | None = UNSET
    billing_period: BillingPeriod | None = UNSET
    customer_id: str
    end_date: str | None = UNSET
    plan_id: str
    resource_id: str | None = UNSET
    salesforce_id: str | None = UNSET
    start_date: str | None = UNSET
    subscription_entitlements: list[SubscriptionEntitlementInput] | None = UNSET
    subscription_id: str | None = UNSET
    unit_quantity: float | None = UNSET
    updated_at: str | None = UNSET


@strawberry.input
class ImportSubscriptionsBulkInput:
    environment_id: str | None = UNSET
    integration_id: str | None = UNSET
    subscriptions: list[ImportSubscriptionInput] | None = UNSET
    skip_invalid: bool | None = strawberry.field(
        default=UNSET,
        description="Import the valid rows and report the others (default: refuse all).",
    )


@strawberry.input
class ImportUsageInput:
    customer_id: str
    feature_id: str
    resource_id: str | None = UNSET
    usage: float


@strawberry.input
class ImportUsageBulkInput:
    environment_id: str | None = UNSET
    usages: list[ImportUsageInput] | None = UNSET
    skip_invalid: bool | None = UNSET


@strawberry.enum
class ImportStatus(enum.Enum):
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"


ImportRowOutcomeKind = strawberry.enum(Outcome, name="ImportRowOutcome")


@strawberry.type
class ImportRowResult:
    index: int
    outcome: ImportRowOutcomeKind  # type: ignore[valid-type]
    reason: str | None


@strawberry.type
class BulkImport:
    id: str
    kind: str
    status: ImportStatus
    total_rows: int
    processed_rows: int
    created: int
    updated: int
    unchanged: int
    skipped: int
    failed: int
    environment_id: strawberry.Private[str]

    @strawberry.field
    async def rows(self, info: Info, offset: int = 0, limit: int = 1000) -> list[ImportRowResult]:
        if offset < 0 or not 1 <= limit <= MAX_OUTCOMES_PER_CALL:
            raise ValidationFailed(
                f"offset must be >= 0 and limit 1 to {MAX_OUTCOMES_PER_CALL}", field="limit"
            )

        def call(session: Session, environment: Environment) -> list[ImportRowResult]:
            found = service.row_outcomes(session, environment, self.id, offset, limit)
            return [
                ImportRowResult(index=r.index, outcome=r.outcome, reason=r.reason) for r in found
            ]

        return await run(info, call, write=False)


def _bulk_import(progress: service.Progress) -> BulkImport:
    counts = progress.counts
    return BulkImport(
        id=progress.task.id,
        kind=progress.task.kind,
        status=ImportStatus(progress.status.value),
        total_rows=progress.task.total_rows,
        processed_rows=progress.processed,
        created=counts.get(Outcome.CREATED, 0),
        updated=counts.get(Outcome.UPDATED, 0),
        unchanged=counts.get(Outcome.UNCHANGED, 0),
        skipped=counts.get(Outcome.SKIPPED, 0),
        failed=counts.get(Outcome.FAILED, 0),
        environment_id=progress.task.environment_id,
    )


async def _start(info: Info, kind: ImportKind, data: dict[str, Any], key: str) -> str:
    field = service.FIELDS[kind]
    if data.get("integrationId") is not None:
        raise NotSupported(
            "integrationId is not supported: each environment has one Stripe account",
            field="input.integrationId",
        )
    environment = info.context.environment
    given = data.get("environmentId")
    if given is not None and given != environment.id:
        raise ValidationFailed(
            "input.environmentId: must be the API key's environment", field="input.environmentId"
        )
    items = data.get(key) or []
    if not items:
        raise ValidationFailed(f"{field}: give at least one row", field=field)
    if len(items) > MAX_ROWS_PER_CALL:
        raise ValidationFailed(
            f"{field}: at most {MAX_ROWS_PER_CALL} rows per call, got {len(items)}; "
            "send the rest in further calls",
            field=field,
        )
    prepared = await run_in_threadpool(service.prepare, environment, kind, items)
    skip_invalid = bool(data.get("skipInvalid"))

    def call(session: Session, environment: Environment) -> str:
        return service.start(session, environment, prepared, skip_invalid=skip_invalid).id

    return await run(info, call)


@strawberry.type
class ImportMutations:
    @strawberry.mutation
    async def import_customers_bulk(self, info: Info, input: ImportCustomerBulkInput) -> str:
        return await _start(info, ImportKind.CUSTOMERS, as_dict(input), "customers")

    @strawberry.mutation
    async def import_subscriptions_bulk(
        self, info: Info, input: ImportSubscriptionsBulkInput
    ) -> str:
        return await _start(info, ImportKind.SUBSCRIPTIONS, as_dict(input), "subscriptions")

    @strawberry.mutation
    async def import_usage_bulk(self, info: Info, input: ImportUsageBulkInput) -> str:
        return await _start(info, ImportKind.USAGE, as_dict(input), "usages")


@strawberry.type
class ImportQueries:
    @strawberry.field
    async def bulk_import(self, info: Info, import_id: str) -> BulkImport:
        def call(session: Session, environment: Environment) -> BulkImport:
            return _bulk_import(service.progress(session, environment, import_id))

        return await run(info, call)
