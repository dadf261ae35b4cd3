"""Stripe-style API errors.

Every failure the server reports is a `StripeError`, rendered as Stripe renders it:
`{"error": {"type", "code", "message", "param"}}` with the HTTP status the stripe SDK
maps to its exception classes (400/404 InvalidRequestError, 402 CardError, 429
RateLimitError, 5xx APIError).
"""

from __future__ import annotations

from typing import Any


class StripeError(Exception):
    def __init__(
        self,
        status: int,
        error_type: str,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        extra: dict[str, Any] | None = None,
        stored: bool = True,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.code = code
        self.param = param
        self.extra = extra or {}
        # Stripe saves an idempotent result only once the endpoint began executing;
        # parameter validation failures are not saved, so a corrected retry may reuse the key.
        self.stored = stored

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "type": self.error_type,
            "code": self.code,
            "message": self.message,
            "param": self.param,
        }
        if self.code:
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        error.update(self.extra)
        return {"error": error}


def invalid_request(
    message: str, *, param: str | None = None, code: str | None = None, status: int = 400
) -> StripeError:
    return StripeError(status, "invalid_request_error", message, code=code, param=param)


def parameter_error(message: str, *, param: str, code: str) -> StripeError:
    return StripeError(400, "invalid_request_error", message, code=code, param=param, stored=False)


def missing_param(param: str) -> StripeError:
    return parameter_error(
        f"Missing required param: {param}.", param=param, code="parameter_missing"
    )


def unknown_param(param: str) -> StripeError:
    return parameter_error(
        f"Received unknown parameter: {param}", param=param, code="parameter_unknown"
    )


def no_such(label: str, object_id: str, param: str = "id") -> StripeError:
    return invalid_request(
        f"No such {label}: '{object_id}'", param=param, code="resource_missing", status=404
    )


def card_error(
    message: str, *, code: str, decline_code: str | None, extra: dict[str, Any] | None = None
) -> StripeError:
    details: dict[str, Any] = {"decline_code": decline_code} if decline_code else {}
    details.update(extra or {})
    return StripeError(402, "card_error", message, code=code, extra=details)
