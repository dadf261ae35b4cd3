"""The Stripe test server's fixtures, for its own tests."""

from .fixtures import stripe_client, stripe_server

__all__ = ["stripe_client", "stripe_server"]
