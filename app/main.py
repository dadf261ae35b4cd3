"""The composition root: settings, logging, database, broker and routes wired together."""

from __future__ import annotations

import gc
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, cast

import structlog
from cross_web import AsyncHTTPRequestAdapter
from cross_web import HTTPException as StrawberryHTTPException
from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import HTTPConnection
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from app import db, jobs
from app.config import Settings, get_settings, set_settings
from app.entitlements import cache as entitlements_cache
from app.entitlements import refresher
from app.environments import key_cache
from app.environments import service as environments
from app.errors import AppError, BadRequest
from app.graphql.context import Context
from app.graphql.encoding import encode
from app.graphql.errors import with_codes
from app.graphql.schema import Schema, build_schema
from app.http_limits import BodyLimit
from app.logging import configure_logging
from app.models import Environment
from webhooks.endpoint import route as stripe_webhooks
from workers.broker import broker_is_reachable, build_broker
from workers.runner import start_worker, stop_worker

log = structlog.get_logger(__name__)


class RequestId:
    """Binds the request id (the client's ``X-Request-ID``, else a new one) to every log
    line of the request, and echoes it on the response. Plain ASGI: Starlette's
    BaseHTTPMiddleware costs a task and a stream per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"")
        rid = given.decode("latin-1")[:64] or uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=rid)
        echoed = (b"x-request-id", rid.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0] != b"x-request-id"]
                message = {**message, "headers": [*headers, echoed]}
            await send(message)

        await self.app(scope, receive, send_with_id)


def _authenticate(raw_key: str | None) -> Any:
    # A read: on SQLite a writing unit of work would queue every request on the write lock.
    with db.unit_of_work(write=False) as session:
        environment = environments.authenticate(session, raw_key)
        session.expunge(environment)
    if raw_key:
        key_cache.remember(raw_key, environment)
    return environment


def _recheck(raw_key: str, session: Session) -> None:
    """Check a cached key again (in the background): kept while valid, else forgotten, so
    the next request with it is refused."""
    try:
        environment = environments.authenticate(session, raw_key)
    except AppError:
        key_cache.forget(raw_key)
        return
    session.expunge(environment)
    key_cache.remember(raw_key, environment)


def _known_environment(raw_key: str) -> Environment | None:
    """The environment of a key seen valid recently (rechecked in the background when
    due), or None when the key must be authenticated."""
    environment, due = key_cache.lookup(raw_key)
    if due:
        refresher.due(("api-key", key_cache.digest(raw_key)), partial(_recheck, raw_key))
    return environment


async def graphql_context(connection: HTTPConnection) -> Context:
    """The caller's environment, from the ``X-API-KEY`` header or the ``apiKey`` query
    parameter (a key recently seen is trusted for a second without a database read)."""
    raw_key = connection.headers.get("x-api-key") or connection.query_params.get("apiKey")
    if connection.scope["type"] == "websocket":
        # A subscription's key may also come in its connection_init payload: checked,
        # with this one, when the connection is acknowledged (GraphQLEndpoint).
        return Context(api_key=raw_key)
    method = connection.scope.get("method")
    opening_ide = method == "GET" and "query" not in connection.query_params
    if opening_ide and raw_key is None:
        return Context()
    environment = _known_environment(raw_key) if raw_key else None
    if environment is None:
        environment = await run_in_threadpool(_authenticate, raw_key)
    assert environment is not None
    structlog.contextvars.bind_contextvars(environment=environment.name)
    return Context(environment_or_none=environment)


def _error_response(error: AppError) -> JSONResponse:
    body = {"errors": [{"message": error.message, "extensions": error.extensions()}]}
    return JSONResponse(body, status_code=error.http_status)


HTTP_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "REQUEST_TOO_LARGE"}

# The environment of the request's key, as a plan's attempt found it.
_ENVIRONMENT = "billing_sync.environment"

# A JSON-escaped NUL: no database stores it in text, so it is refused at the door.
_NUL = b"\\u0000"


class GraphQLEndpoint(GraphQL[Context, None]):
    """Strawberry's ASGI endpoint, answering every failure in the GraphQL error shape with
    a code. It is a plain ASGI route: FastAPI solving the dependencies of Strawberry's
    router took a fifth of the time of a trivial query."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response: Response = await self._planned(request) or await self.run(request)
        except StrawberryHTTPException as exc:
            response = _error_response(BadRequest(exc.reason))
        except AppError as exc:
            response = _error_response(exc)
        await response(scope, receive, send)

    def encode_json(self, data: object) -> str:
        # Text, not bytes: websocket messages are sent as text frames only when it is text.
        return encode(data).decode()

    async def _planned(self, request: Request) -> Response | None:
        """The answer of a known document on its plan (app.graphql.compiled), or None for
        the full path. Only for a key known valid: the full path checks the key before it
        reads the body."""
        plans = cast("Schema", self.schema).plans
        if plans is None or request.method != "POST":
            return None
        headers = request.headers
        accept = headers.get("accept", "")
        if "application/json" not in headers.get("content-type", "") or "multipart" in accept:
            return None
        raw_key = headers.get("x-api-key") or request.query_params.get("apiKey")
        environment = _known_environment(raw_key) if raw_key else None
        if environment is None:
            return None
        # The full path, if it answers, takes the key as found here: a recheck that
        # began meanwhile changes the answer of the next request only, as it would have.
        request.scope[_ENVIRONMENT] = environment
        answer = await plans.answer(await request.body(), environment)
        if answer is None:
            return None
        structlog.contextvars.bind_contextvars(environment=environment.name)
        return Response(answer, media_type="application/json")

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        known = request.scope.get(_ENVIRONMENT)
        if known is not None:
            structlog.contextvars.bind_contextvars(environment=known.name)
            return Context(environment_or_none=known)
        return await graphql_context(request)

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        if request.method == "POST" and _NUL in await request.get_body():
            raise BadRequest("NUL characters (\\u0000) are not accepted in a request")
        try:
            return await super().parse_http_body(request)
        except StrawberryHTTPException as exc:
            raise BadRequest(exc.reason) from None
        except RecursionError:
            raise BadRequest("the request body is nested too deep to read") from None
        except UnicodeDecodeError:
            raise BadRequest("the request body is not valid UTF-8") from None
        except ValueError as exc:
            # json raises ValueError for a number of more digits than Python converts.
            raise BadRequest(
                f"the request body holds a number too long to read ({exc})"[:200]
            ) from None

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Acknowledge a websocket only with a valid key: the upgrade's ``X-API-KEY``
        header or ``apiKey`` parameter, or ``X-API-KEY`` / ``apiKey`` in the
        connection_init payload (browsers cannot set headers on a websocket)."""
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        raw_key = context.api_key or params.get("X-API-KEY") or params.get("apiKey")
        if not isinstance(raw_key, str) or not raw_key:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED"})
        try:
            environment, _ = key_cache.lookup(raw_key)
            if environment is None:
                environment = await run_in_threadpool(_authenticate, raw_key)
        except AppError as exc:
            raise ConnectionRejectionError({"code": exc.code}) from None
        context.environment_or_none = environment
        return cast("UnsetType", UNSET)

    def parse_json(self, data: str | bytes) -> Any:
        parsed = super().parse_json(data)
        if not isinstance(parsed, dict | list):
            raise BadRequest("the request body must be a JSON object")
        return parsed

    async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        try:
            result = await super().execute_single(*args, **kwargs)
        except StrawberryHTTPException as exc:
            raise BadRequest(exc.reason) from None
        request_data: GraphQLRequestData = kwargs["request_data"]
        plans = cast("Schema", self.schema).plans
        if not result.errors and plans is not None and isinstance(request_data.query, str):
            plans.learn(request_data.query)
        return result

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        return await super().process_result(request, with_codes(result))


_startup_settled = False


def _settle_startup_objects() -> None:
    """What the first application loaded lives as long as the process: keep it out of
    every collection, and collect the young generation less often (a request makes
    thousands of short-lived objects; each pass stalls every request in flight). Once a
    process: a later application (several in one process) would freeze its
    predecessors' garbage with it, never to be collected."""
    global _startup_settled  # noqa: PLW0603 - once per process
    if _startup_settled:
        return
    _startup_settled = True
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)


def create_app(settings: Settings | None = None, *, embedded_worker: bool | None = None) -> FastAPI:
    settings = settings or get_settings()
    set_settings(settings)
    configure_logging(settings.log_level, settings.log_format)
    broker = build_broker(settings)
    run_worker = settings.redis_url is None if embedded_worker is None else embedded_worker

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        worker = (
            start_worker(broker, settings.worker_threads, settings.scheduler_interval_seconds)
            if run_worker
            else None
        )
        entitlements_cache.connect(settings.redis_url, settings.entitlements_cache_seconds)
        _settle_startup_objects()
        log.info("service.started", billing_integrated=settings.billing_integrated)
        try:
            yield
        finally:
            if worker is not None:
                stop_worker(worker)
            jobs.forget_sent_now()

    app = FastAPI(
        title="billing-sync",
        lifespan=lifespan,
        telemetry=None
        if settings.opentelemetry
        else {"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.broker = broker
    app.add_middleware(BodyLimit, limit=settings.max_request_bytes, path="/graphql")

    app.add_middleware(RequestId)

    @app.exception_handler(AppError)
    async def app_error(_request: Request, exc: AppError) -> JSONResponse:
        return _error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # Answers on /graphql (a method it does not serve, say) keep the GraphQL shape.
        if not request.url.path.startswith("/graphql"):
            return await http_exception_handler(request, exc)
        code = HTTP_CODES.get(exc.status_code, "BAD_REQUEST")
        body = {"errors": [{"message": str(exc.detail), "extensions": {"code": code}}]}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        def database_ok() -> bool:
            try:
                with db.get_engine().connect() as connection:
                    connection.execute(text("SELECT 1"))
                return True
            except Exception:  # noqa: BLE001 - any failure means "not ready"
                return False

        checks = {
            "database": await run_in_threadpool(database_ok),
            "broker": await run_in_threadpool(broker_is_reachable, broker),
        }
        ready = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    # Subscriptions (the SDKs' push channel) speak graphql-transport-ws only.
    graphql = GraphQLEndpoint(
        build_schema(settings), subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,)
    )
    app.router.routes += [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        stripe_webhooks,
    ]
    return app
