"""Errors of usage reporting (a check never raises: it answers with a reason)."""

from __future__ import annotations

from app.errors import AppError, NotFound, ValidationFailed


class CustomerResourceNotFound(NotFound):
    code = "CUSTOMER_RESOURCE_NOT_FOUND"


class FeatureNotMetered(ValidationFailed):
    """Usage reported for a feature that has no usage (BOOLEAN, ENUM, a plain number)."""

    code = "FEATURE_NOT_METERED"


class FeatureMeteredByEvents(ValidationFailed):
    """Calculated usage reported for a feature whose usage comes from raw events."""

    code = "FEATURE_METERED_BY_EVENTS"


class NoFeatureEntitlement(AppError):
    """Usage reported for a feature the customer is not entitled to."""

    code = "NO_FEATURE_ENTITLEMENT"


class TooManyItems(ValidationFailed):
    code = "TOO_MANY_ITEMS"
