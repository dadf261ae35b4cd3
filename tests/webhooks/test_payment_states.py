"""What Stripe's later payment states mean locally: a payment still clearing, and a
subscription whose retries ran out (unpaid or canceled by the account's retry policy).
Nothing is granted that was not paid for."""

from __future__ import annotations

from typing import Any

import stripe

from tests.stripe_server.server import StripeTestServer
from tests.webhooks.conftest import Live
from tests.webhooks.test_reconciliation import checkout, eventually, state

DAY = 24 * 3600
RENEWAL = 31 * DAY + 2 * 3600  # past the period's end and the draft invoice's hour


def active(live: Live, stripe_server: StripeTestServer) -> str:
    ref, session_id = checkout(live)
    stripe_server.complete_checkout_session(session_id)
    assert eventually(lambda: state(live, ref)["status"] == "ACTIVE")
    return ref


def remote_of(client: stripe.StripeClient, ref: str) -> Any:
    found = client.v1.subscriptions.list({"status": "all", "limit": 10}).data
    return next(s for s in found if s.metadata["billing_sync_subscription_id"] == ref)


def test_a_renewal_payment_still_clearing_shows_processing_then_paid(
    live: Live, stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    ref = active(live, stripe_server)
    stripe_server.next_payment("processing")
    stripe_server.advance_time(RENEWAL)
    shown = eventually(lambda: (s := state(live, ref))["paymentCollection"] == "PROCESSING" and s)
    assert shown, state(live, ref)
    assert shown["status"] == "ACTIVE"
    invoice = stripe_client.v1.invoices.retrieve(shown["latestInvoice"]["billingId"])
    payments = stripe_client.v1.invoice_payments.list({"invoice": invoice.id or ""}).data
    intent = payments[0].payment.payment_intent
    stripe_server.settle_payment(intent if isinstance(intent, str) else intent.id)
    assert eventually(lambda: state(live, ref)["paymentCollection"] == "NOT_REQUIRED")
    assert state(live, ref)["latestInvoice"]["status"] == "PAID"


def test_retries_that_run_out_into_unpaid_end_the_subscription_and_its_billing(
    live: Live, stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    ref = active(live, stripe_server)
    stripe_server.set_retry_policy([3], subscription_status="unpaid")
    stripe_server.next_payment("fail", count=2)
    stripe_server.advance_time(RENEWAL)
    assert eventually(lambda: state(live, ref)["paymentCollection"] == "FAILED")
    assert state(live, ref)["status"] == "ACTIVE"  # still within the retries
    stripe_server.advance_time(4 * DAY)
    assert eventually(lambda: state(live, ref)["status"] == "CANCELED"), state(live, ref)
    # Stripe stops invoicing a subscription nobody may use any more.
    assert eventually(lambda: remote_of(stripe_client, ref).status == "canceled")


def test_retries_that_run_out_into_canceled_end_the_subscription(
    live: Live, stripe_server: StripeTestServer
) -> None:
    ref = active(live, stripe_server)
    stripe_server.set_retry_policy([3], subscription_status="canceled")
    stripe_server.next_payment("fail", count=2)
    stripe_server.advance_time(RENEWAL)
    assert eventually(lambda: state(live, ref)["paymentCollection"] == "FAILED")
    stripe_server.advance_time(4 * DAY)
    assert eventually(lambda: state(live, ref)["status"] == "CANCELED"), state(live, ref)
