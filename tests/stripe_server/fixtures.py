"""Pytest fixtures for the Stripe test server.

`stripe_server` is a fresh server per test (starting one costs a few milliseconds);
`stripe_client` is the real SDK pointed at it, with retries off so that each injected
failure surfaces. Other test packages import these names into their conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from .server import StripeTestServer

TEST_API_KEY = "sk_test_stripe_server"


@pytest.fixture
def stripe_server() -> Iterator[StripeTestServer]:
    with StripeTestServer() as server:
        yield server


@pytest.fixture
def stripe_client(stripe_server: StripeTestServer) -> stripe.StripeClient:
    return stripe.StripeClient(
        TEST_API_KEY, base_addresses={"api": stripe_server.url}, max_network_retries=0
    )
