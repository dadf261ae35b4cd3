"""The SDK's tests run against the live service of tests/live.py (the ``live`` fixture)."""

from __future__ import annotations

import time
import uuid
from typing import Any

from tests.live import LiveService, live

__all__ = ["LiveService", "live"]


PROVISION = """
mutation($input: ProvisionCustomerInput!) { provisionCustomer(input: $input) { customer { id } } }
"""


def new_customer(live: LiveService, resource: str | None = None, url: str = "") -> str:
    """A customer of its own on plan-revvenu-free (for ``resource``, if given)."""
    customer = f"sdk-{uuid.uuid4().hex[:10]}"
    subscription = {"planId": "plan-revvenu-free", "resourceId": resource}
    live.graphql(
        PROVISION, {"input": {"customerId": customer, "subscriptionParams": subscription}}, url
    )
    return customer


def eventually(check: Any, within: float, what: str) -> float:
    """Seconds until ``check()`` is true; fails past ``within``."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > within:
            raise AssertionError(f"{what}: not within {within:g}s")
        time.sleep(0.01)
    return time.monotonic() - started


class Clock:
    """A clock for the SDK's cache that moves only when a test moves it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
