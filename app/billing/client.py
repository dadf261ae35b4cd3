"""The process's one StripeClient, and every call to Stripe made through ``call``."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import redis
import stripe
from sqlmodel import Session

from app.billing.crypto import open_at_rest
from app.billing.errors import classify
from app.billing.http import client_for
from app.billing.ratelimit import LocalRateLimiter, RateLimiter, RedisRateLimiter
from app.config import Settings, get_settings
from app.db import in_transaction
from app.errors import AppError
from app.models import Environment

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


def build_gateway(settings: Settings, api_key: str | None = None) -> Gateway:
    """A gateway for ``api_key`` (an environment's own account), else STRIPE_API_KEY's."""
    key = api_key or settings.stripe_api_key
    if key is None:
        raise BillingNotConfigured("STRIPE_API_KEY is not set: billing is not integrated")
    client = stripe.StripeClient(
        key,
        base_addresses={"api": settings.stripe_api_base} if settings.stripe_api_base else None,
        max_network_retries=settings.stripe_max_network_retries,
        http_client=client_for(),
    )
    limiter: RateLimiter
    if settings.redis_url:
        # Stripe's limit is per account: each account counts in windows of its own.
        account = hashlib.sha256(key.encode()).hexdigest()[:16]
        limiter = RedisRateLimiter(
            redis.Redis.from_url(settings.redis_url),
            settings.stripe_rate_limit,
            key=f"billing-sync:stripe:requests:{account}",
        )
    else:
        limiter = LocalRateLimiter(settings.stripe_rate_limit)
    return Gateway(client, limiter)


_gateways: dict[str | None, Gateway] = {}
# An environment's own key, as last read (environment id -> key or None), briefly cached
# so that changing it with the CLI reaches running workers within a minute.
_keys: dict[str, tuple[str | None, float]] = {}
KEY_CACHE_SECONDS = 60.0
_lock = threading.Lock()


def _environment_key(environment_id: str) -> str | None:
    now = time.monotonic()
    cached = _keys.get(environment_id)
    if cached is not None and now - cached[1] < KEY_CACHE_SECONDS:
        return cached[0]

    def read(session: Session) -> str | None:
        environment = session.get(Environment, environment_id)
        if environment is None or environment.stripe_api_key_sealed is None:
            return None
        return open_at_rest(environment.stripe_api_key_sealed)

    key = in_transaction(read, write=False)
    _keys[environment_id] = (key, now)
    return key


def gateway(environment_id: str | None = None) -> Gateway:
    """The gateway to the Stripe account of ``environment_id``: its own, when it has one,
    else the default account (STRIPE_API_KEY). One client per account per process."""
    key = _environment_key(environment_id) if environment_id else None
    with _lock:
        found = _gateways.get(key)
        if found is None:
            found = build_gateway(get_settings(), key)
            _gateways[key] = found
        return found


def set_gateway(value: Gateway | None) -> None:
    """Install ``value`` as the default account's gateway; None forgets every gateway."""
    with _lock:
        _gateways.clear()
        _keys.clear()
        if value is not None:
            _gateways[None] = value
