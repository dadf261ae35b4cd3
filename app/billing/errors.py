"""Stripe errors, classified once, at the gateway, by class and code (never by message).

The allowlist is closed: every Stripe error maps to one of these, and ``retryable`` says
whether trying the same request again (with the same idempotency key) can succeed.
Anything not recognised is treated as a request Stripe will keep refusing, so a job
stops retrying it and the failure is surfaced instead of looping for days.
"""

from __future__ import annotations

import stripe

from app.errors import AppError


class BillingError(AppError):
    code = "BILLING_ERROR"
    http_status = 502
    retryable = False


class BillingUnavailable(BillingError):
    """Stripe could not be reached or failed on its side (5xx); try again later."""

    code = "BILLING_UNAVAILABLE"
    retryable = True


class BillingRateLimited(BillingError):
    code = "BILLING_RATE_LIMITED"
    retryable = True


class BillingMisconfigured(BillingError):
    """The API key is wrong or lacks permission: a person must fix the configuration."""

    code = "BILLING_MISCONFIGURED"


class BillingResourceMissing(BillingError):
    code = "BILLING_RESOURCE_MISSING"
    http_status = 404


class BillingRequestRejected(BillingError):
    """Stripe refused the request as invalid; retrying the same request cannot help."""

    code = "BILLING_REQUEST_REJECTED"


class BillingIdempotencyConflict(BillingError):
    code = "BILLING_IDEMPOTENCY_CONFLICT"


class PaymentDeclined(BillingError):
    code = "PAYMENT_DECLINED"
    http_status = 402


class PaymentAuthenticationRequired(BillingError):
    code = "PAYMENT_AUTHENTICATION_REQUIRED"
    http_status = 402


def classify(error: stripe.StripeError) -> BillingError:
    """The service's error for a Stripe error; the message is Stripe's user-safe one."""
    message = error.user_message or "the billing provider refused the request"
    code = error.code
    translated: BillingError
    if isinstance(error, stripe.CardError):
        if code == "authentication_required":
            translated = PaymentAuthenticationRequired(message, stripe_code=code)
        else:
            translated = PaymentDeclined(
                message, stripe_code=code, decline_code=getattr(error, "decline_code", None)
            )
    elif isinstance(error, stripe.RateLimitError):
        translated = BillingRateLimited("the billing provider is rate limiting requests")
    elif isinstance(error, stripe.APIConnectionError | stripe.APIError):
        translated = BillingUnavailable("the billing provider could not be reached")
    elif isinstance(error, stripe.AuthenticationError | stripe.PermissionError):
        translated = BillingMisconfigured("the billing provider refused the API key")
    elif isinstance(error, stripe.IdempotencyError):
        headers = error.headers or {}
        translated = BillingIdempotencyConflict(
            "a request reused an idempotency key with different parameters",
            idempotency_key=headers.get("Idempotency-Key") or headers.get("idempotency-key"),
        )
    elif isinstance(error, stripe.InvalidRequestError) and code == "resource_missing":
        translated = BillingResourceMissing(
            message, stripe_code=code, param=getattr(error, "param", None)
        )
    elif isinstance(error, stripe.InvalidRequestError) and code == "lock_timeout":
        translated = BillingUnavailable("the billing provider was busy with this object")
    elif isinstance(error, stripe.InvalidRequestError):
        translated = BillingRequestRejected(
            message, stripe_code=code, param=getattr(error, "param", None)
        )
    else:
        translated = BillingRequestRejected(message, stripe_code=code)
    translated.__cause__ = error
    return translated
