"""The checkout session's client reference stays within Stripe's 200 characters."""

from __future__ import annotations

from app.billing.checkout import client_reference


def test_the_callers_reference_id_is_the_client_reference() -> None:
    assert client_reference({"referenceId": "order-7"}, "subscription-pro-a1b2c3") == "order-7"


def test_without_one_the_subscription_id_is_the_client_reference() -> None:
    assert client_reference({}, "subscription-pro-a1b2c3") == "subscription-pro-a1b2c3"


def test_a_subscription_id_too_long_for_stripe_is_left_out() -> None:
    assert client_reference({}, "s" * 201) is None
