"""Stripe subscriptions that an import links to local ones, read before they are linked
(with no transaction open): one must exist in the environment's own Stripe account,
belong to the Stripe customer its local customer is linked to, and still run. Stripe
customers are read by ``app.billing.customers.stripe_owner``."""

from __future__ import annotations

from dataclasses import dataclass

from app.billing.client import gateway
from app.billing.errors import BillingResourceMissing

ENDED = ("canceled", "incomplete_expired")


@dataclass(frozen=True)
class RemoteSubscription:
    customer: str
    status: str

    @property
    def ended(self) -> bool:
        return self.status in ENDED


def subscription(environment_id: str, billing_id: str) -> RemoteSubscription | None:
    """The Stripe subscription's customer and status, or None when the environment's
    Stripe account has no such subscription."""
    gw = gateway(environment_id)
    try:
        found = gw.call(lambda: gw.stripe.v1.subscriptions.retrieve(billing_id))
    except BillingResourceMissing:
        return None
    customer = found.customer if isinstance(found.customer, str) else found.customer.id
    return RemoteSubscription(customer=customer, status=found.status)
