"""Stripe webhooks: the verified endpoint, the event store and the event handlers."""
