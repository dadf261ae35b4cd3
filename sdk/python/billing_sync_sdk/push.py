"""The push channel: one websocket to the service, one ``entitlementsUpdated``
subscription on it per cached (customer, resource), over graphql-transport-ws.

Every message is the customer's entitlements whole, the first one as they are when the
subscription starts, so a change made between the entry's load and its subscription is
never missed, and nothing here applies deltas. The connection is opened on the first
watch and reopened after any failure with bounded, jittered backoff; every watched key
is subscribed again on the new connection (its first message refreshes it). While it
is down, the cache serves entries for its TTL only (``EntitlementCache.disconnected``).

The websocket itself is the ``websockets`` package's: httpx has no websocket client.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import uuid
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from billing_sync_sdk._generated.entitlements_updated import EntitlementsUpdated
from billing_sync_sdk.cache import CacheKey, EntitlementCache

log = logging.getLogger("billing_sync_sdk.push")

PROTOCOL = "graphql-transport-ws"


class PushChannel:
    def __init__(
        self,
        ws_url: str,
        api_key: str,
        cache: EntitlementCache,
        query: str,
        *,
        open_timeout: float = 10.0,
        max_backoff: float = 5.0,
    ) -> None:
        self.ws_url = ws_url
        self.api_key = api_key
        self.cache = cache
        # The generated client's EntitlementsUpdated document.
        self.query = query
        self.open_timeout = open_timeout
        self.max_backoff = max_backoff
        self._ids: dict[CacheKey, str] = {}
        self._keys: dict[str, CacheKey] = {}
        self._ws: ClientConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        # Set whenever a connection has been acknowledged (tests and close() wait on it).
        self.connected = asyncio.Event()
        self.updates = 0

    def watch(self, key: CacheKey) -> None:
        """Keep ``key`` fresh (called from the event loop the channel runs in)."""
        if self._closed or key in self._ids:
            return
        subscription_id = uuid.uuid4().hex
        self._ids[key] = subscription_id
        self._keys[subscription_id] = key
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        elif self._ws is not None and self.connected.is_set():
            asyncio.get_running_loop().create_task(self._subscribe(self._ws, subscription_id))

    def unwatch(self, key: CacheKey) -> None:
        subscription_id = self._ids.pop(key, None)
        if subscription_id is None:
            return
        self._keys.pop(subscription_id, None)
        if self._ws is not None and self.connected.is_set():
            message = {"id": subscription_id, "type": "complete"}
            asyncio.get_running_loop().create_task(self._send(self._ws, message))

    async def close(self) -> None:
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.cache.disconnected()

    async def _run(self) -> None:
        failures = 0
        while not self._closed:
            try:
                async with connect(
                    self.ws_url,
                    subprotocols=[PROTOCOL],  # type: ignore[list-item]
                    additional_headers={"X-API-KEY": self.api_key},
                    open_timeout=self.open_timeout,
                ) as ws:
                    await self._open(ws)
                    failures = 0
                    async for raw in ws:
                        await self._receive(ws, raw)
            except asyncio.CancelledError:
                raise
            except (OSError, WebSocketException, TimeoutError, ValueError) as exc:
                log.info("push channel down: %s", exc or type(exc).__name__)
            finally:
                self._ws = None
                self.connected.clear()
                self.cache.disconnected()
            failures += 1
            cap = min(self.max_backoff, 0.1 * 2 ** min(failures, 10))
            await asyncio.sleep(random.uniform(cap / 2, cap))  # noqa: S311 - jitter

    async def _open(self, ws: ClientConnection) -> None:
        await self._send(ws, {"type": "connection_init", "payload": {"X-API-KEY": self.api_key}})
        async with asyncio.timeout(self.open_timeout):
            while True:
                message = json.loads(await ws.recv())
                if message.get("type") == "connection_ack":
                    break
                if message.get("type") == "ping":
                    await self._send(ws, {"type": "pong"})
        self._ws = ws
        self.cache.push_connected = True
        self.connected.set()
        for subscription_id in list(self._keys):
            await self._subscribe(ws, subscription_id)

    async def _subscribe(self, ws: ClientConnection, subscription_id: str) -> None:
        key = self._keys.get(subscription_id)
        if key is None:
            return
        customer_id, resource_id = key
        variables = {"input": {"customerId": customer_id, "resourceId": resource_id}}
        payload = {"query": self.query, "operationName": "EntitlementsUpdated"}
        await self._send(
            ws,
            {
                "id": subscription_id,
                "type": "subscribe",
                "payload": {**payload, "variables": variables},
            },
        )

    async def _send(self, ws: ClientConnection, message: dict[str, Any]) -> None:
        with contextlib.suppress(WebSocketException):
            await ws.send(json.dumps(message))

    async def _receive(self, ws: ClientConnection, raw: str | bytes) -> None:
        message = json.loads(raw)
        kind = message.get("type")
        if kind == "ping":
            await self._send(ws, {"type": "pong"})
            return
        key = self._keys.get(str(message.get("id")))
        if key is None:
            return
        if kind == "next":
            payload = message.get("payload") or {}
            if payload.get("errors") or not payload.get("data"):
                log.warning("push for %s answered errors: %s", key, payload.get("errors"))
                return
            update = EntitlementsUpdated.model_validate(payload["data"]).entitlements_updated
            self.cache.store(key, list(update.entitlements), pushed=True)
            self.updates += 1
        elif kind in ("error", "complete"):
            # The service ended this subscription: the entry lives by its TTL from now.
            log.warning("push for %s ended: %s", key, message.get("payload"))
            self._ids.pop(key, None)
            self._keys.pop(str(message.get("id")), None)
            self.cache.drop(key)
