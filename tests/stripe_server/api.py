"""The `/v1` request pipeline: authentication, injected failures, idempotency, dispatch.

Idempotency follows Stripe: a POST's `Idempotency-Key` stores the response once the
endpoint has begun executing (a parameter validation error is not stored); the same
key with the same parameters replays it (`Idempotent-Replayed: true`), with other
parameters or on another endpoint it is a 400 `idempotency_error`. Keys belong to the
account making the request (here: its API key), so two accounts never see each other's
keys, and Stripe forgets a key once it is 24 hours old (by the server's clock, which
`advance_time` moves): the same key then starts a new request. Injected 429/500
failures happen before execution and are never stored, so a retry with the same key
goes through, unless `after_execution` asks for the failure to hide a request that
did run (the retry then replays its stored result).
"""

from __future__ import annotations

import json
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .errors import StripeError
from .forms import Params, decode
from .routing import call, router
from .state import API_VERSION, Obj, State, random_token

JSON = "application/json"
# "Keys are eligible to be removed from the system automatically after they're at least
# 24 hours old" (https://docs.stripe.com/api/idempotent_requests).
IDEMPOTENCY_KEY_LIFETIME = 24 * 3600


@dataclass
class Response:
    status: int
    body: Obj
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class InjectedFailure:
    status: int
    path: str | None = None
    method: str | None = None
    after_execution: bool = False

    def applies(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method:
            return False
        return self.path is None or path.startswith(self.path)

    def error(self) -> StripeError:
        if self.status == 429:
            return StripeError(
                429,
                "invalid_request_error",
                "Request rate limit exceeded. Learn more about rate limits here "
                "https://stripe.com/docs/rate-limits.",
                code="rate_limit",
            )
        return StripeError(
            self.status,
            "api_error",
            "An unknown error occurred while processing your request.",
        )


@dataclass
class Stored:
    method: str
    path: str
    params: Params
    response: Response
    created: int


class Api:
    def __init__(self, state: State, api_key: str | None = None) -> None:
        self.state = state
        self.api_key = api_key
        self.failures: deque[InjectedFailure] = deque()
        # (API key, idempotency key) -> the stored result.
        self.idempotency: dict[tuple[str, str], Stored] = {}
        self.requests: list[dict[str, Any]] = []
        # Requests per second each account may make (Stripe: 25 in test mode, 100 live),
        # as a token bucket of that many tokens; None takes every request.
        self.rate_limit: int | None = None
        self._buckets: dict[str, tuple[float, float]] = {}

    def _within_rate_limit(self, account: str) -> bool:
        if self.rate_limit is None:
            return True
        now = time.monotonic()
        with self.state.lock:
            tokens, last = self._buckets.get(account, (float(self.rate_limit), now))
            tokens = min(float(self.rate_limit), tokens + (now - last) * self.rate_limit)
            allowed = tokens >= 1.0
            self._buckets[account] = (tokens - 1.0 if allowed else tokens, now)
        return allowed

    def reset(self) -> None:
        with self.state.lock:
            self.failures.clear()
            self.idempotency.clear()
            self.requests.clear()

    def handle(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> Response:
        entry: dict[str, Any] = {}
        response = self._handle(entry, method, path, query, headers, body)
        entry["status"] = response.status  # recorded requests show how they were answered
        if response.status >= 400:
            entry["error"] = (response.body.get("error") or {}).get("type")
        return response

    def _handle(
        self,
        entry: dict[str, Any],
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
    ) -> Response:
        request_id = f"req_{random_token(14)}"
        key = headers.get("idempotency-key")
        base = {"Request-Id": request_id, "Stripe-Version": API_VERSION}
        if key:
            base["Idempotency-Key"] = key
        try:
            account = self._authenticate(headers.get("authorization", ""))
            found = router.match(method, path)
            if found is None:
                raise StripeError(
                    404,
                    "invalid_request_error",
                    f"Unrecognized request URL ({method}: {path}). Please see "
                    "https://stripe.com/docs or we can help at https://support.stripe.com/.",
                )
            params = self._params(method, query, headers, body)
        except StripeError as error:
            return Response(error.status, error.body(), base)
        if not self._within_rate_limit(account):
            with self.state.lock:
                entry.update(method=method, path=path, idempotency_key=key)
                self.requests.append(entry)
            limited = InjectedFailure(429).error()
            return Response(limited.status, limited.body(), base)
        with self.state.lock:
            entry.update(method=method, path=path, idempotency_key=key, account=account)
            self.requests.append(entry)
            failure = self._take_failure(method, path)
            if failure is not None and not failure.after_execution:
                return Response(failure.status, failure.error().body(), base)
            if method == "POST" and key:
                stored = self._stored(account, key)
                if stored is not None:
                    return self._replay(stored, method, path, params, key)
            route, path_params = found
            self.state.request = {"id": request_id, "idempotency_key": key}
            keep = True
            try:
                result = call(route, self.state, params, path_params)
                expand = [str(p) for p in params.get("expand") or []]
                response = Response(200, self.state.present(result, expand), dict(base))
            except StripeError as error:
                keep = error.stored
                response = Response(error.status, error.body(), dict(base))
            except Exception as exc:  # noqa: BLE001
                # A defect of the test server: answer like Stripe's own 500 rather than
                # dropping the connection, and keep the traceback for whoever debugs it.
                traceback.print_exc()
                keep = False
                error = StripeError(500, "api_error", f"Stripe test server error: {exc!r}")
                response = Response(500, error.body(), dict(base))
            finally:
                self.state.request = {"id": None, "idempotency_key": None}
            if method == "POST" and key and keep:
                self.idempotency[account, key] = Stored(
                    method, path, params, response, self.state.now()
                )
            if failure is not None:
                return Response(failure.status, failure.error().body(), base)
            return response

    def _stored(self, account: str, key: str) -> Stored | None:
        stored = self.idempotency.get((account, key))
        if stored is not None and self.state.now() - stored.created >= IDEMPOTENCY_KEY_LIFETIME:
            del self.idempotency[account, key]
            return None
        return stored

    def _authenticate(self, header: str) -> str:
        """The API key, which stands for the account: each key is an account of its own."""
        token = header[7:] if header.lower().startswith("bearer ") else ""
        if not token:
            raise StripeError(
                401,
                "invalid_request_error",
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth "
                "(e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
            )
        valid = token.startswith(("sk_test_", "rk_test_"))
        if not valid or (self.api_key is not None and token != self.api_key):
            raise StripeError(
                401,
                "invalid_request_error",
                f"Invalid API Key provided: {token[:8]}{'*' * max(len(token) - 12, 4)}{token[-4:]}",
                code="api_key_expired" if not valid else None,
            )
        return token

    def _params(self, method: str, query: str, headers: dict[str, str], body: bytes) -> Params:
        if method != "POST":
            return decode(query)
        text = body.decode("utf-8")
        if headers.get("content-type", "").startswith(JSON):
            try:
                loaded = json.loads(text or "{}")
            except json.JSONDecodeError:
                raise StripeError(400, "invalid_request_error", "Invalid JSON body.") from None
            return loaded if isinstance(loaded, dict) else {}
        return decode(text)

    def _take_failure(self, method: str, path: str) -> InjectedFailure | None:
        for failure in self.failures:
            if failure.applies(method, path):
                self.failures.remove(failure)
                return failure
        return None

    def _replay(self, stored: Stored, method: str, path: str, params: Params, key: str) -> Response:
        if (stored.method, stored.path) != (method, path):
            error = StripeError(
                400,
                "idempotency_error",
                "Keys for idempotent requests can only be used for the same endpoint they "
                f"were first used for ('{stored.method} {stored.path}' vs '{method} {path}'). "
                f"Try using a key other than '{key}' if you meant to execute a different request.",
            )
            return Response(400, error.body(), {"Idempotency-Key": key})
        if stored.params != params:
            error = StripeError(
                400,
                "idempotency_error",
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.",
            )
            return Response(400, error.body(), {"Idempotency-Key": key})
        headers = dict(stored.response.headers)
        headers["Idempotent-Replayed"] = "true"
        return Response(stored.response.status, stored.response.body, headers)
