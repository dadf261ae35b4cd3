"""The service's one error root.

Every expected failure is an ``AppError`` with a stable ``code`` (shown to clients as
GraphQL ``errors[].extensions.code``) and a message that is safe to show. Anything
else that escapes a service is a bug: it is logged in full and shown as
``INTERNAL_SERVER_ERROR`` without details.
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    code = "APP_ERROR"
    http_status = 400

    def __init__(self, message: str, *, field: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details

    def extensions(self) -> dict[str, Any]:
        extensions: dict[str, Any] = {"code": self.code}
        if self.field is not None:
            extensions["field"] = self.field
        extensions.update(self.details)
        return extensions


class ValidationFailed(AppError):
    code = "BAD_USER_INPUT"


class TaxIdInvalid(ValidationFailed):
    """A tax id Stripe would refuse: a type it does not know or a malformed value."""

    code = "TAX_ID_INVALID"
    # The pydantic error type a validator raises for it (``PydanticCustomError``).
    error_type = "tax_id_invalid"


class NotSupported(AppError):
    """A platform input field this service does not implement: refused, never ignored."""

    code = "NOT_SUPPORTED"


class BadRequest(AppError):
    """The HTTP request itself is unusable (not JSON, no query, wrong content type)."""

    code = "BAD_REQUEST"


class QueryTooComplex(AppError):
    """A GraphQL document past a limit: too deep, too many aliases, tokens or mutations."""

    code = "QUERY_TOO_COMPLEX"


class RequestTooLarge(AppError):
    """A request body past ``MAX_REQUEST_BYTES``, refused while it is read."""

    code = "REQUEST_TOO_LARGE"
    http_status = 413


class NotFound(AppError):
    code = "NOT_FOUND"
    http_status = 404


class Conflict(AppError):
    code = "CONFLICT"
    http_status = 409


class Unauthenticated(AppError):
    code = "UNAUTHENTICATED"
    http_status = 401


class CustomerNotFound(NotFound):
    code = "CUSTOMER_NOT_FOUND"


class CustomerArchived(Conflict):
    code = "CUSTOMER_ARCHIVED"


class CouponNotFound(NotFound):
    code = "COUPON_NOT_FOUND"


class PromotionalEntitlementNotFound(NotFound):
    """The customer holds no promotional entitlement to the feature named."""

    code = "PROMOTIONAL_ENTITLEMENT_NOT_FOUND"


class CatalogInvalid(AppError):
    """A catalog file with problems; ``problems`` lists each one as ``path: message``."""

    code = "CATALOG_INVALID"

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"catalog is invalid ({len(problems)} problem(s))", problems=problems)
        self.problems = problems


class EnvironmentNotFound(NotFound):
    code = "ENVIRONMENT_NOT_FOUND"


class BillingIdInUse(Conflict):
    code = "BILLING_ID_IN_USE"


class BillingIdNotFound(NotFound):
    code = "BILLING_ID_NOT_FOUND"
