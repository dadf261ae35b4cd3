"""The process's one StripeClient, and every call to Stripe made through ``call``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import redis
import stripe

from app.billing.errors import classify
from app.billing.ratelimit import LocalRateLimiter, RateLimiter, RedisRateLimiter
from app.config import Settings, get_settings
from app.errors import AppError

T = TypeVar("T")


class BillingNotConfigured(AppError):
    code = "BILLING_NOT_CONFIGURED"


class Gateway:
    """A StripeClient with the process's rate limit and error classification."""

    def __init__(self, client: stripe.StripeClient, limiter: RateLimiter) -> None:
        self.stripe = client
        self.limiter = limiter

    def call(self, request: Callable[[], T]) -> T:
        self.limiter.acquire()
        try:
            return request()
        except stripe.StripeError as exc:
            raise classify(exc) from exc


def build_gateway(settings: Settings) -> Gateway:
    if settings.stripe_api_key is None:
        raise BillingNotConfigured("STRIPE_API_KEY is not set: billing is not integrated")
    client = stripe.StripeClient(
        settings.stripe_api_key,
        base_addresses={"api": settings.stripe_api_base} if settings.stripe_api_base else None,
        max_network_retries=settings.stripe_max_network_retries,
    )
    limiter: RateLimiter
    if settings.redis_url:
        limiter = RedisRateLimiter(
            redis.Redis.from_url(settings.redis_url), settings.stripe_rate_limit
        )
    else:
        limiter = LocalRateLimiter(settings.stripe_rate_limit)
    return Gateway(client, limiter)


_gateway: Gateway | None = None


def gateway() -> Gateway:
    global _gateway  # noqa: PLW0603 - one client per process, by design
    if _gateway is None:
        _gateway = build_gateway(get_settings())
    return _gateway


def set_gateway(value: Gateway | None) -> None:
    global _gateway  # noqa: PLW0603
    _gateway = value
