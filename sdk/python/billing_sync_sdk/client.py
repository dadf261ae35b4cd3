"""The async client: the generated one, with retries, typed errors and the entitlement
cache around it.

Every method of ``GeneratedClient`` (made by ariadne-codegen from the service's schema
and ``operations/``) is kept as generated; three are wrapped: ``get_entitlement`` and
``get_entitlements`` answer from the cache when they can, and ``report_usage`` updates
it. Every call goes through ``execute``, which retries what is safe to retry: a query,
or a mutation whose every item carries an ``idempotencyKey`` (the service applies such
a report or event once however often it arrives). A mutation without one is never sent
twice: a lost answer may hide a change that was made.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from typing import Any, Literal, cast

import httpx
from pydantic import BaseModel

from billing_sync_sdk._generated.client import GeneratedClient
from billing_sync_sdk._generated.enums import AccessDeniedReason
from billing_sync_sdk._generated.fragments import EntitlementFields
from billing_sync_sdk._generated.get_entitlement import GetEntitlement
from billing_sync_sdk._generated.get_entitlements import GetEntitlements
from billing_sync_sdk._generated.input_types import (
    EntitlementsUpdatedInput,
    FetchEntitlementQuery,
    FetchEntitlementsQuery,
    ReportUsageInput,
)
from billing_sync_sdk._generated.report_usage import ReportUsage
from billing_sync_sdk.cache import CacheKey, EntitlementCache, Entry, decide
from billing_sync_sdk.errors import (
    InvalidResponseError,
    NetworkError,
    RequestTimeout,
    ServerError,
    TransportError,
    api_error,
)
from billing_sync_sdk.push import PushChannel

DEFAULT_API_URL = "http://127.0.0.1:8000"
Fallback = Literal["last_known", "deny"]


@dataclass(frozen=True)
class ClientOptions:
    api_key: str
    # The service's address (``/graphql`` is added unless it is there already).
    api_url: str = DEFAULT_API_URL
    # Seconds for each HTTP request (connect, read, write, pool).
    timeout: float = 10.0
    # Retries after the first try, for what is safe to retry (see the module's docstring).
    max_retries: int = 3
    # Backoff before retry n: a random delay up to min(retry_max_backoff, retry_backoff * 2**n).
    retry_backoff: float = 0.2
    retry_max_backoff: float = 5.0
    # The entitlement cache, and the push channel that keeps it fresh.
    entitlements_cache: bool = True
    push: bool = True
    # Seconds an entry is used without the push channel (the safety net).
    cache_ttl: float = 30.0
    # Seconds an entry the push channel keeps is used since its last change, then loaded
    # again anyway (the safety net for a change the channel missed).
    cache_push_ttl: float = 300.0
    cache_max_entries: int = 10_000
    # When the service cannot be reached: the last entitlements known ("last_known",
    # denying what was never known) or a denial ("deny"), flagged ``is_fallback``.
    fallback: Fallback = "last_known"

    @property
    def graphql_url(self) -> str:
        url = self.api_url.rstrip("/")
        return url if url.endswith("/graphql") else f"{url}/graphql"

    @property
    def ws_url(self) -> str:
        url = self.graphql_url
        return "ws" + url[4:] if url.startswith("http") else url


class EntitlementAnswer(GetEntitlement):
    """``get_entitlement``'s answer: ``entitlement`` as the service would give it, and
    where it came from."""

    from_cache: bool = False
    # The service could not be reached: the answer is the configured fallback.
    is_fallback: bool = False


class EntitlementsAnswer(GetEntitlements):
    from_cache: bool = False
    is_fallback: bool = False


def _is_mutation(query: str) -> bool:
    return query.lstrip().startswith("mutation")


def _idempotent(variables: dict[str, Any] | None) -> bool:
    """Whether every item of a mutation's input carries an idempotency key."""
    if not variables:
        return False
    for value in variables.values():
        data = value.model_dump(by_alias=True) if isinstance(value, BaseModel) else value
        if not isinstance(data, dict):
            return False
        if data.get("idempotencyKey"):
            continue
        items = [v for v in data.values() if isinstance(v, list) and v]
        if not items or not all(
            isinstance(item, dict) and item.get("idempotencyKey") for each in items for item in each
        ):
            return False
    return True


class AsyncBillingSyncClient(GeneratedClient):
    """Use one per process (it holds connections and the cache): ``async with`` it, or
    ``await client.close()`` at the end."""

    def __init__(self, options: ClientOptions) -> None:
        http = httpx.AsyncClient(
            headers={"X-API-KEY": options.api_key}, timeout=httpx.Timeout(options.timeout)
        )
        super().__init__(
            url=options.graphql_url,
            headers={"X-API-KEY": options.api_key},
            http_client=cast("Any", http),  # httpx's own, typed wider than the protocol
            ws_url=options.ws_url,
            ws_headers={"X-API-KEY": options.api_key},
            ws_connection_init_payload={"X-API-KEY": options.api_key},
        )
        self.options = options
        self.cache = (
            EntitlementCache(options.cache_ttl, options.cache_max_entries, options.cache_push_ttl)
            if options.entitlements_cache
            else None
        )
        self.push: PushChannel | None = None
        self._loading: dict[CacheKey, asyncio.Task[Entry]] = {}

    async def close(self) -> None:
        if self.push is not None:
            await self.push.close()
        await self.http_client.aclose()

    async def __aexit__(self, exc_type: object, exc_val: object, exc_tb: object) -> None:
        await self.close()

    # -- transport ----------------------------------------------------------------------

    async def execute(
        self,
        query: str,
        operation_name: str | None = None,
        variables: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        retry_allowed = not _is_mutation(query) or _idempotent(variables)
        attempt = 0
        while True:
            try:
                response = await super().execute(query, operation_name, variables, **kwargs)
            except httpx.TimeoutException as exc:
                if not retry_allowed or attempt >= self.options.max_retries:
                    raise RequestTimeout(f"no answer within {self.options.timeout:g}s") from exc
            except httpx.TransportError as exc:
                if not retry_allowed or attempt >= self.options.max_retries:
                    raise NetworkError(str(exc) or type(exc).__name__) from exc
            else:
                status = response.status_code
                # 429 was not processed: safe to send again, whatever the call.
                again = status == 429 or (status >= 500 and retry_allowed)
                if not again or attempt >= self.options.max_retries:
                    return response
            cap = min(self.options.retry_max_backoff, self.options.retry_backoff * 2**attempt)
            await asyncio.sleep(random.uniform(0, cap))  # noqa: S311 - jitter, not secrets
            attempt += 1

    def get_data(self, response: Any) -> dict[str, Any]:
        status = int(response.status_code)
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("errors"):
            raise api_error(body["errors"], status)
        if status >= 500 or status == 429:
            raise ServerError(status, getattr(response, "text", ""))
        if not 200 <= status < 300 or not isinstance(body, dict) or "data" not in body:
            raise InvalidResponseError(f"HTTP {status}: not a GraphQL answer")
        data: dict[str, Any] = body["data"]
        return data

    # -- entitlements -------------------------------------------------------------------

    def cached_entitlement(self, query: FetchEntitlementQuery) -> EntitlementAnswer | None:
        """The answer from the cache, or None when only the service can give it. Touches
        no network and no event loop (the sync client calls it from its own thread)."""
        if self.cache is None:
            return None
        entry = self.cache.fresh((query.customer_id, query.resource_id))
        if entry is None:
            return None
        found = _answer(entry, query)
        if found is None:
            return None
        return EntitlementAnswer.model_construct(entitlement=found, from_cache=True)

    async def get_entitlement(
        self, query: FetchEntitlementQuery, **kwargs: Any
    ) -> EntitlementAnswer:
        found = self.cached_entitlement(query)
        if found is not None:
            return found
        key = (query.customer_id, query.resource_id)
        try:
            if self.cache is not None:
                held = _answer(await self._load(key), query)
                if held is not None:
                    return EntitlementAnswer.model_construct(entitlement=held)
            answer = await super().get_entitlement(query, **kwargs)
        except TransportError:
            return self._fallback(key, query)
        if self.cache is not None:
            self.cache.remember(key, query.feature_id, answer.entitlement)
        return EntitlementAnswer.model_construct(entitlement=answer.entitlement)

    async def get_entitlements(
        self, query: FetchEntitlementsQuery, **kwargs: Any
    ) -> EntitlementsAnswer:
        key = (query.customer_id, query.resource_id)
        if self.cache is None:
            answer = await super().get_entitlements(query, **kwargs)
            return EntitlementsAnswer.model_construct(entitlements=answer.entitlements)
        entry = self.cache.fresh(key)
        if entry is not None:
            held = list(entry.entitlements.values())
            return EntitlementsAnswer.model_construct(entitlements=held, from_cache=True)
        try:
            entry = await self._load(key)
        except TransportError:
            known = self.cache.last_known(key) if self.options.fallback == "last_known" else None
            held = list(known.entitlements.values()) if known is not None else []
            return EntitlementsAnswer.model_construct(
                entitlements=held, from_cache=known is not None, is_fallback=True
            )
        return EntitlementsAnswer.model_construct(entitlements=list(entry.entitlements.values()))

    async def report_usage(self, input: ReportUsageInput, **kwargs: Any) -> ReportUsage:
        answer = await super().report_usage(input, **kwargs)
        if self.cache is not None:
            measured = answer.report_usage
            self.cache.usage_reported(
                (input.customer_id, input.resource_id),
                input.feature_id,
                measured.current_usage,
                (measured.usage_period_start, measured.usage_period_end),
            )
        return answer

    async def _load(self, key: CacheKey) -> Entry:
        """The key's entitlements from the service, stored; concurrent loads share one."""
        task = self._loading.get(key)
        if task is None:
            task = self._loading[key] = asyncio.ensure_future(self._fetch(key))
            task.add_done_callback(lambda _: self._loading.pop(key, None))
        return await asyncio.shield(task)

    async def _fetch(self, key: CacheKey) -> Entry:
        assert self.cache is not None
        query = FetchEntitlementsQuery(customer_id=key[0], resource_id=key[1])
        answer = await GeneratedClient.get_entitlements(self, query)
        entry = self.cache.store(key, list(answer.entitlements))
        if self.options.push:
            await self._watch(key)
        return entry

    async def _watch(self, key: CacheKey) -> None:
        if self.push is None:
            assert self.cache is not None
            document = await self._subscription_document()
            self.push = PushChannel(
                self.options.ws_url,
                self.options.api_key,
                self.cache,
                document,
                open_timeout=self.options.timeout,
                max_backoff=self.options.retry_max_backoff,
            )
        self.push.watch(key)

    async def _subscription_document(self) -> str:
        """The EntitlementsUpdated document exactly as the generated client sends it."""
        capture = _DocumentCapture(url=self.url, http_client=cast("Any", self.http_client))
        async for _ in capture.entitlements_updated(EntitlementsUpdatedInput(customer_id="")):
            pass
        return capture.document

    def _fallback(self, key: CacheKey, query: FetchEntitlementQuery) -> EntitlementAnswer:
        if self.cache is not None and self.options.fallback == "last_known":
            entry = self.cache.last_known(key)
            found = _answer(entry, query) if entry is not None else None
            if found is not None:
                return EntitlementAnswer.model_construct(
                    entitlement=found, from_cache=True, is_fallback=True
                )
        options = query.options
        denied = EntitlementFields.model_construct(
            is_granted=False,
            access_denied_reason=AccessDeniedReason.Unknown,
            customer_id=None,
            resource_id=query.resource_id,
            current_usage=None,
            requested_usage=options.requested_usage if options is not None else None,
            requested_values=options.requested_values if options is not None else None,
            usage_limit=None,
            has_unlimited_usage=False,
            has_soft_limit=None,
            enum_values=None,
            usage_period_anchor=None,
            usage_period_start=None,
            usage_period_end=None,
            next_reset_date=None,
            reset_period=None,
            feature=None,
        )
        return EntitlementAnswer.model_construct(entitlement=denied, is_fallback=True)


def _answer(entry: Entry, query: FetchEntitlementQuery) -> EntitlementFields | None:
    options = query.options
    requested_usage = options.requested_usage if options is not None else None
    requested_values = options.requested_values if options is not None else None
    held = entry.entitlements.get(query.feature_id)
    if held is not None:
        return decide(held, requested_usage, requested_values)
    known = entry.answers.get(query.feature_id)
    if known is None:
        return None
    return known.model_copy(
        update={"requested_usage": requested_usage, "requested_values": requested_values}
    )


class _DocumentCapture(GeneratedClient):
    """Records the subscription document instead of opening a websocket."""

    document = ""

    async def execute_ws(
        self,
        query: str,
        operation_name: str | None = None,
        variables: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        self.document = query
        return
        yield
