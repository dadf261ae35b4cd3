"""What the SDK raises: one root, ``BillingSyncError``.

A GraphQL error answered by the service becomes an ``ApiError`` (a subclass chosen by
its ``extensions.code``) carrying the code, the message, the field when the service
names one, and every error of the answer. The service could not be reached, or failed
(5xx), after the retries the call allowed: ``NetworkError``, ``RequestTimeout`` or
``ServerError``.
"""

from __future__ import annotations

from typing import Any


class BillingSyncError(Exception):
    """Every error the SDK raises."""


class ApiError(BillingSyncError):
    """The service answered with GraphQL errors; this is the first, ``errors`` all."""

    def __init__(
        self,
        message: str,
        code: str,
        *,
        extensions: dict[str, Any] | None = None,
        path: list[str | int] | None = None,
        errors: list[dict[str, Any]] | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.message = message
        self.code = code
        self.extensions = extensions or {"code": code}
        self.field: str | None = self.extensions.get("field")
        self.path = path
        self.errors = errors or []
        self.status_code = status_code


class AuthenticationError(ApiError):
    """The API key is missing, unknown, expired or revoked (``UNAUTHENTICATED``)."""


class NotFoundError(ApiError):
    """A named object does not exist (a code ending in ``NOT_FOUND``)."""


class InvalidInputError(ApiError):
    """The input was refused (``BAD_USER_INPUT``, ``TOO_MANY_ITEMS``, ``INVALID_*``...)."""


class NotSupportedError(ApiError):
    """A platform input this service does not implement (``NOT_SUPPORTED``)."""


class ConflictError(ApiError):
    """The call conflicts with the current state (``CONFLICT``, ``*_TAKEN``, ``*_IN_USE``,
    ``CUSTOMER_ARCHIVED``, ``SUBSCRIPTION_ENDED``)."""


class BillingError(ApiError):
    """The billing integration refused or failed the call (``BILLING_*``, ``PAYMENT_*``)."""


_INPUT = {"BAD_USER_INPUT", "BAD_REQUEST", "TOO_MANY_ITEMS", "QUERY_TOO_COMPLEX"}
_CONFLICT = {"CONFLICT", "CUSTOMER_ARCHIVED", "SUBSCRIPTION_ENDED"}


def api_error_class(code: str) -> type[ApiError]:
    if code == "UNAUTHENTICATED":
        return AuthenticationError
    if code.endswith("NOT_FOUND"):
        return NotFoundError
    if code == "NOT_SUPPORTED":
        return NotSupportedError
    if code in _CONFLICT or code.endswith(("_TAKEN", "_IN_USE")):
        return ConflictError
    if code.startswith(("BILLING_", "PAYMENT_")):
        return BillingError
    if code in _INPUT or code.startswith("INVALID_") or code.endswith("_INVALID"):
        return InvalidInputError
    return ApiError


def api_error(errors: list[dict[str, Any]], status_code: int | None = None) -> ApiError:
    """The exception for an answer's ``errors``."""
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    extensions = first.get("extensions")
    if not isinstance(extensions, dict):
        extensions = {}
    code = str(extensions.get("code") or "INTERNAL_SERVER_ERROR")
    extensions = {**extensions, "code": code}
    return api_error_class(code)(
        str(first.get("message") or "the service answered an error"),
        code,
        extensions=extensions,
        path=first.get("path"),
        errors=errors,
        status_code=status_code,
    )


class TransportError(BillingSyncError):
    """The call did not get an answer it could use, after the retries it was allowed."""


class NetworkError(TransportError):
    """The service could not be reached (connection refused, reset, DNS...)."""


class RequestTimeout(TransportError):
    """No answer within the configured timeout."""


class ServerError(TransportError):
    """The service answered 5xx (or 429) without a GraphQL error."""

    def __init__(self, status_code: int, body: str = "") -> None:
        super().__init__(f"HTTP {status_code} from the service")
        self.status_code = status_code
        self.body = body[:1000]


class InvalidResponseError(TransportError):
    """The answer was not a GraphQL response."""
