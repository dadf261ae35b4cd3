"""A stateful Stripe test server that the real `stripe` SDK talks to over loopback HTTP.

Start one with `StripeTestServer` (or the `stripe_server` fixture in `fixtures.py`),
or standalone with `python -m tests.stripe_server --port P`. Objects keep the shapes
of the API version the installed stripe package pins.
"""

from .server import StripeTestServer

__all__ = ["StripeTestServer"]
