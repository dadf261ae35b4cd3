"""The Stripe gateway: the only package that imports ``stripe``.

One ``StripeClient`` per process (pinned to the API version the installed SDK was
generated for), idempotency keys built from local ids, Stripe errors classified by class
and code into the service's errors, and a client-side rate limit shared by every worker.
"""
