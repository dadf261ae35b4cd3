"""The sync client: the async client run on an event loop in a thread of its own.

Every call is the async client's, handed to that loop and waited for, so both clients
share one implementation of retries, errors and the cache, and the push channel keeps
running between calls. A check the cache can answer is answered in the caller's thread
without touching the loop: the hot path costs no thread switch.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from billing_sync_sdk._generated.archive_customer import ArchiveCustomer
from billing_sync_sdk._generated.base_model import UNSET, UnsetType
from billing_sync_sdk._generated.cancel_subscription import CancelSubscription
from billing_sync_sdk._generated.estimate_subscription import EstimateSubscription
from billing_sync_sdk._generated.estimate_subscription_update import EstimateSubscriptionUpdate
from billing_sync_sdk._generated.get_active_subscriptions_list import GetActiveSubscriptionsList
from billing_sync_sdk._generated.get_coupons import GetCoupons
from billing_sync_sdk._generated.get_customer import GetCustomer
from billing_sync_sdk._generated.get_subscription import GetSubscription
from billing_sync_sdk._generated.grant_promotional_entitlements import GrantPromotionalEntitlements
from billing_sync_sdk._generated.import_customers_bulk import ImportCustomersBulk
from billing_sync_sdk._generated.import_subscriptions_bulk import ImportSubscriptionsBulk
from billing_sync_sdk._generated.input_types import (
    ArchiveCustomerInput,
    CouponFilter,
    CouponSort,
    CursorPaging,
    EstimateSubscriptionInput,
    EstimateSubscriptionUpdateInput,
    FetchEntitlementQuery,
    FetchEntitlementsQuery,
    GetActiveSubscriptionsInput,
    GetCustomerByRefIdInput,
    GetSubscriptionInput,
    GrantPromotionalEntitlementsInput,
    ImportCustomerBulkInput,
    ImportSubscriptionsBulkInput,
    ProvisionCustomerInput,
    ProvisionSubscriptionInput,
    ReportUsageInput,
    RevokePromotionalEntitlementInput,
    SubscriptionCancellationInput,
    SubscriptionMigrationInput,
    UnarchiveCustomerInput,
    UpdateCustomerInput,
    UpdateSubscriptionInput,
    UsageEventsReportInput,
)
from billing_sync_sdk._generated.migrate_subscription_to_latest import MigrateSubscriptionToLatest
from billing_sync_sdk._generated.provision_customer import ProvisionCustomer
from billing_sync_sdk._generated.provision_subscription import ProvisionSubscription
from billing_sync_sdk._generated.report_event import ReportEvent
from billing_sync_sdk._generated.report_usage import ReportUsage
from billing_sync_sdk._generated.revoke_promotional_entitlement import RevokePromotionalEntitlement
from billing_sync_sdk._generated.unarchive_customer import UnarchiveCustomer
from billing_sync_sdk._generated.update_customer import UpdateCustomer
from billing_sync_sdk._generated.update_subscription import UpdateSubscription
from billing_sync_sdk.client import (
    AsyncBillingSyncClient,
    ClientOptions,
    EntitlementAnswer,
    EntitlementsAnswer,
)

T = TypeVar("T")


class BillingSyncClient:
    """Use one per process: it holds a thread, connections and the cache. ``with`` it, or
    call ``close()`` at the end."""

    def __init__(self, options: ClientOptions) -> None:
        self.options = options
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="billing-sync-sdk", daemon=True
        )
        self._thread.start()
        self._client: AsyncBillingSyncClient = self._run(self._create(options))

    @staticmethod
    async def _create(options: ClientOptions) -> AsyncBillingSyncClient:
        return AsyncBillingSyncClient(options)

    @property
    def async_client(self) -> AsyncBillingSyncClient:
        """The async client underneath (its coroutines run on this client's loop only)."""
        return self._client

    def _run(self, call: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(call, self._loop).result()

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self._run(self._client.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> BillingSyncClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def get_entitlement(self, query: FetchEntitlementQuery, **kwargs: Any) -> EntitlementAnswer:
        found = self._client.cached_entitlement(query)
        if found is not None:
            return found
        return self._run(self._client.get_entitlement(query, **kwargs))

    def get_coupons(
        self,
        filter_: CouponFilter | UnsetType | None = UNSET,
        sorting: list[CouponSort] | UnsetType | None = UNSET,
        paging: CursorPaging | UnsetType | None = UNSET,
        **kwargs: Any,
    ) -> GetCoupons:
        return self._run(self._client.get_coupons(filter_, sorting, paging, **kwargs))

    def provision_customer(self, input: ProvisionCustomerInput, **kwargs: Any) -> ProvisionCustomer:
        return self._run(self._client.provision_customer(input, **kwargs))

    def update_customer(self, input: UpdateCustomerInput, **kwargs: Any) -> UpdateCustomer:
        return self._run(self._client.update_customer(input, **kwargs))

    def get_customer(self, input: GetCustomerByRefIdInput, **kwargs: Any) -> GetCustomer:
        return self._run(self._client.get_customer(input, **kwargs))

    def archive_customer(self, input: ArchiveCustomerInput, **kwargs: Any) -> ArchiveCustomer:
        return self._run(self._client.archive_customer(input, **kwargs))

    def unarchive_customer(self, input: UnarchiveCustomerInput, **kwargs: Any) -> UnarchiveCustomer:
        return self._run(self._client.unarchive_customer(input, **kwargs))

    def import_customers_bulk(
        self, input: ImportCustomerBulkInput, **kwargs: Any
    ) -> ImportCustomersBulk:
        return self._run(self._client.import_customers_bulk(input, **kwargs))

    def provision_subscription(
        self, input: ProvisionSubscriptionInput, **kwargs: Any
    ) -> ProvisionSubscription:
        return self._run(self._client.provision_subscription(input, **kwargs))

    def update_subscription(
        self, input: UpdateSubscriptionInput, **kwargs: Any
    ) -> UpdateSubscription:
        return self._run(self._client.update_subscription(input, **kwargs))

    def cancel_subscription(
        self, input: SubscriptionCancellationInput, **kwargs: Any
    ) -> CancelSubscription:
        return self._run(self._client.cancel_subscription(input, **kwargs))

    def get_active_subscriptions_list(
        self, input: GetActiveSubscriptionsInput, **kwargs: Any
    ) -> GetActiveSubscriptionsList:
        return self._run(self._client.get_active_subscriptions_list(input, **kwargs))

    def get_subscription(self, input: GetSubscriptionInput, **kwargs: Any) -> GetSubscription:
        return self._run(self._client.get_subscription(input, **kwargs))

    def migrate_subscription_to_latest(
        self, input: SubscriptionMigrationInput, **kwargs: Any
    ) -> MigrateSubscriptionToLatest:
        return self._run(self._client.migrate_subscription_to_latest(input, **kwargs))

    def estimate_subscription(
        self, input: EstimateSubscriptionInput, **kwargs: Any
    ) -> EstimateSubscription:
        return self._run(self._client.estimate_subscription(input, **kwargs))

    def estimate_subscription_update(
        self, input: EstimateSubscriptionUpdateInput, **kwargs: Any
    ) -> EstimateSubscriptionUpdate:
        return self._run(self._client.estimate_subscription_update(input, **kwargs))

    def import_subscriptions_bulk(
        self, input: ImportSubscriptionsBulkInput, **kwargs: Any
    ) -> ImportSubscriptionsBulk:
        return self._run(self._client.import_subscriptions_bulk(input, **kwargs))

    def get_entitlements(self, query: FetchEntitlementsQuery, **kwargs: Any) -> EntitlementsAnswer:
        return self._run(self._client.get_entitlements(query, **kwargs))

    def report_usage(self, input: ReportUsageInput, **kwargs: Any) -> ReportUsage:
        return self._run(self._client.report_usage(input, **kwargs))

    def report_event(self, events: UsageEventsReportInput, **kwargs: Any) -> ReportEvent:
        return self._run(self._client.report_event(events, **kwargs))

    def grant_promotional_entitlements(
        self, input: GrantPromotionalEntitlementsInput, **kwargs: Any
    ) -> GrantPromotionalEntitlements:
        return self._run(self._client.grant_promotional_entitlements(input, **kwargs))

    def revoke_promotional_entitlement(
        self, input: RevokePromotionalEntitlementInput, **kwargs: Any
    ) -> RevokePromotionalEntitlement:
        return self._run(self._client.revoke_promotional_entitlement(input, **kwargs))
