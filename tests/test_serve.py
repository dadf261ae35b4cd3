"""``billing-sync serve`` as an operator starts it after make run's set-up: embedded
defaults (SQLite, no Redis, no Stripe key), PORT honoured, the applied catalog served."""

from __future__ import annotations

import pytest

from tests.live import LiveService, live

__all__ = ["live"]

pytestmark = pytest.mark.xdist_group("live")


def test_serve_answers_graphql_on_port_with_nothing_installed(live: LiveService) -> None:
    assert "REDIS_URL" not in live.env and "STRIPE_API_KEY" not in live.env
    assert live.env["DATABASE_URL"].startswith("sqlite:///")
    assert live.url.startswith("http://127.0.0.1:")
    answer = live.graphql(
        'mutation { provisionCustomer(input: {customerId: "serve-c-1", '
        'couponRefId: "coupon-id"}) { customer { customerId coupon { refId } } } }'
    )
    assert answer == {
        "provisionCustomer": {
            "customer": {"customerId": "serve-c-1", "coupon": {"refId": "coupon-id"}}
        }
    }
