"""billing-sync's Python SDK.

    from billing_sync_sdk import BillingSync, ProvisionCustomerInput

    client = BillingSync.create_async_client(api_key="bsk_...", api_url="http://127.0.0.1:8000")
    data = await client.provision_customer(ProvisionCustomerInput(**{"customerId": "c-1"}))

Every input, enum and result type of the generated client is importable from here.
"""

from __future__ import annotations

from typing import Any

from billing_sync_sdk._generated import *  # noqa: F403 - the generated types are the API
from billing_sync_sdk._generated import __all__ as _generated
from billing_sync_sdk.client import (
    DEFAULT_API_URL,
    AsyncBillingSyncClient,
    ClientOptions,
    EntitlementAnswer,
    EntitlementsAnswer,
)
from billing_sync_sdk.errors import (
    ApiError,
    AuthenticationError,
    BillingError,
    BillingSyncError,
    ConflictError,
    InvalidInputError,
    InvalidResponseError,
    NetworkError,
    NotFoundError,
    NotSupportedError,
    RequestTimeout,
    ServerError,
    TransportError,
)
from billing_sync_sdk.sync import BillingSyncClient


class BillingSync:
    """Makes clients. Make one per process and share it (see ``ClientOptions`` for the
    options: timeout, retries, the entitlement cache and its fallback)."""

    @staticmethod
    def create_async_client(
        api_key: str, api_url: str = DEFAULT_API_URL, **options: Any
    ) -> AsyncBillingSyncClient:
        return AsyncBillingSyncClient(ClientOptions(api_key=api_key, api_url=api_url, **options))

    @staticmethod
    def create_client(
        api_key: str, api_url: str = DEFAULT_API_URL, **options: Any
    ) -> BillingSyncClient:
        return BillingSyncClient(ClientOptions(api_key=api_key, api_url=api_url, **options))


__all__ = [  # noqa: PLE0604 - the generated names, then the SDK's own
    *_generated,
    "ApiError",
    "AsyncBillingSyncClient",
    "AuthenticationError",
    "BillingError",
    "BillingSync",
    "BillingSyncClient",
    "BillingSyncError",
    "ClientOptions",
    "ConflictError",
    "EntitlementAnswer",
    "EntitlementsAnswer",
    "InvalidInputError",
    "InvalidResponseError",
    "NetworkError",
    "NotFoundError",
    "NotSupportedError",
    "RequestTimeout",
    "ServerError",
    "TransportError",
]
