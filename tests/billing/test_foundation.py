"""The gateway's building blocks: error classes, idempotency keys, sealing, rate limits."""

from __future__ import annotations

import pytest
import stripe

from app.billing import crypto, ratelimit
from app.billing.errors import (
    BillingIdempotencyConflict,
    BillingMisconfigured,
    BillingRateLimited,
    BillingRequestRejected,
    BillingResourceMissing,
    BillingUnavailable,
    PaymentAuthenticationRequired,
    PaymentDeclined,
    classify,
)
from app.billing.idempotency import idempotency_key
from tests.conftest import TEST_REDIS_URL, require_service

CASES = [
    (stripe.CardError("declined", "card", "card_declined"), PaymentDeclined, False),
    (
        stripe.CardError("3ds", "card", "authentication_required"),
        PaymentAuthenticationRequired,
        False,
    ),
    (
        stripe.InvalidRequestError("gone", "id", code="resource_missing"),
        BillingResourceMissing,
        False,
    ),
    (
        stripe.InvalidRequestError("bad", "x", code="parameter_invalid_integer"),
        BillingRequestRejected,
        False,
    ),
    (stripe.InvalidRequestError("busy", None, code="lock_timeout"), BillingUnavailable, True),
    (stripe.RateLimitError("slow down"), BillingRateLimited, True),
    (stripe.APIConnectionError("no route"), BillingUnavailable, True),
    (stripe.APIError("boom", http_status=500), BillingUnavailable, True),
    (stripe.AuthenticationError("bad key"), BillingMisconfigured, False),
    (stripe.IdempotencyError("reused"), BillingIdempotencyConflict, False),
]


@pytest.mark.parametrize(("error", "kind", "retryable"), CASES)
def test_stripe_errors_are_classified_by_class_and_code(
    error: stripe.StripeError, kind: type, retryable: bool
) -> None:
    translated = classify(error)
    assert type(translated) is kind
    assert translated.retryable is retryable
    assert translated.__cause__ is error


def test_idempotency_keys_are_stable_and_distinct() -> None:
    assert idempotency_key("customer.create", "env", "c-1") == idempotency_key(
        "customer.create", "env", "c-1"
    )
    assert idempotency_key("customer.create", "env", "c-1") != idempotency_key(
        "customer.create", "env", "c-2"
    )
    assert idempotency_key("sub.update", "s", revision="1") != idempotency_key(
        "sub.update", "s", revision="2"
    )
    assert len(idempotency_key("x", "y" * 400)) <= 255


def test_sealed_billing_information_round_trips_and_hides_the_values() -> None:
    token = crypto.seal({"billingAddress": {"city": "Aarhus"}})
    assert "Aarhus" not in token
    assert crypto.unseal(token) == {"billingAddress": {"city": "Aarhus"}}


def test_tampered_seal_is_refused() -> None:
    token = crypto.seal({"a": 1})
    with pytest.raises(crypto.SealBroken):
        crypto.unseal(token[:-4] + "AAAA")


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_an_idle_local_limiter_lets_a_burst_through_and_never_more_than_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeTime()
    monkeypatch.setattr(ratelimit, "time", fake)
    limiter = ratelimit.LocalRateLimiter(5)
    sent = []
    for _ in range(5):
        limiter.acquire()
        sent.append(fake.now)
    assert fake.slept == []  # five at once: no spacing while under the limit
    for _ in range(7):
        limiter.acquire()
        sent.append(fake.now)
    # The sixth waits until the first is a second old; no window holds more than five.
    assert sent[5] == pytest.approx(sent[0] + 1.0)
    assert max(sum(1 for t in sent if start <= t < start + 1.0) for start in sent) == 5


@pytest.mark.redis
def test_redis_limiter_is_shared_between_limiters(monkeypatch: pytest.MonkeyPatch) -> None:
    import redis

    client = redis.Redis.from_url(TEST_REDIS_URL)
    try:
        client.flushdb()
    except redis.RedisError as exc:
        require_service("Redis", exc)
    fake = FakeTime()
    monkeypatch.setattr(ratelimit, "time", fake)
    first = ratelimit.RedisRateLimiter(client, 3, key="test:rl")
    second = ratelimit.RedisRateLimiter(client, 3, key="test:rl")
    first.acquire()
    second.acquire()
    first.acquire()
    assert fake.slept == []
    second.acquire()  # the fourth request in this second waits for the next one
    assert fake.slept and fake.now >= 1001
