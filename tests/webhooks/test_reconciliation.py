"""The whole loop: Stripe's events reconciled into status, paymentCollection and
latestInvoice, in any order, and repaired by the sweep when events are lost."""

from __future__ import annotations

import time
from typing import Any

import pytest

from app.billing.sweep import sweep
from tests.stripe_server.server import StripeTestServer
from tests.webhooks.conftest import Live

CUSTOMER = (
    "mutation($input: ProvisionCustomerInput!) { provisionCustomer(input: $input) "
    "{ customer { customerId } } }"
)
PROVISION = (
    "mutation($input: ProvisionSubscriptionInput!) { provisionSubscriptionV2(input: "
    "$input) { status checkoutBillingId subscription { refId status } } }"
)
GET = (
    "query($id: String!) { getSubscription(input: {subscriptionId: $id}) { status "
    "paymentCollection latestInvoice { billingId status requiresAction paymentUrl "
    "paymentSecret errorMessage } } }"
)


def state(live: Live, ref: str) -> dict[str, Any]:
    return dict(live.api(GET, {"id": ref})["getSubscription"])


def eventually(check: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def checkout(live: Live) -> tuple[str, str]:
    live.api(CUSTOMER, {"input": {"customerId": "c-1"}})
    result = live.api(
        PROVISION, {"input": {"customerId": "c-1", "planId": "basic", "billingPeriod": "MONTHLY"}}
    )["provisionSubscriptionV2"]
    assert result["status"] == "PAYMENT_REQUIRED"
    return result["subscription"]["refId"], result["checkoutBillingId"]


def test_completed_checkout_activates_the_subscription(
    live: Live, stripe_server: StripeTestServer
) -> None:
    ref, session_id = checkout(live)
    stripe_server.complete_checkout_session(session_id)
    assert eventually(lambda: state(live, ref)["status"] == "ACTIVE")
    shown = eventually(lambda: (s := state(live, ref))["latestInvoice"] and s)
    assert shown["paymentCollection"] == "NOT_REQUIRED"
    assert shown["latestInvoice"]["status"] == "PAID"
    assert shown["latestInvoice"]["billingId"].startswith("in_")


def test_failed_renewal_then_paid_returns_to_not_required(
    live: Live, stripe_server: StripeTestServer
) -> None:
    ref, session_id = checkout(live)
    stripe_server.complete_checkout_session(session_id)
    eventually(lambda: state(live, ref)["status"] == "ACTIVE")
    stripe_server.next_payment("fail")
    stripe_server.advance_time(32 * 24 * 3600)
    failed = eventually(lambda: (s := state(live, ref))["paymentCollection"] == "FAILED" and s)
    assert failed, state(live, ref)
    assert failed["latestInvoice"]["errorMessage"]
    stripe_server.pay_invoice(failed["latestInvoice"]["billingId"])
    assert eventually(lambda: state(live, ref)["paymentCollection"] == "NOT_REQUIRED")


def test_renewal_requiring_action_gives_url_and_secret(
    live: Live, stripe_server: StripeTestServer
) -> None:
    ref, session_id = checkout(live)
    stripe_server.complete_checkout_session(session_id)
    eventually(lambda: state(live, ref)["status"] == "ACTIVE")
    stripe_server.next_payment("require_action")
    stripe_server.advance_time(32 * 24 * 3600)
    shown = eventually(
        lambda: (s := state(live, ref))["paymentCollection"] == "ACTION_REQUIRED" and s
    )
    assert shown, state(live, ref)
    assert shown["latestInvoice"]["requiresAction"] is True
    assert shown["latestInvoice"]["paymentUrl"]
    assert shown["latestInvoice"]["paymentSecret"]


def test_the_sweep_alone_repairs_a_lost_webhook(
    live: Live, stripe_server: StripeTestServer
) -> None:
    ref, session_id = checkout(live)
    stripe_server.set_webhook_mode("drop")
    stripe_server.complete_checkout_session(session_id)
    # The payment's webhooks were lost for good: nothing else will tell the service.
    lost = {event["type"] for event in stripe_server.webhooks.dropped}
    assert "checkout.session.completed" in lost
    assert state(live, ref)["status"] == "PAYMENT_PENDING"
    assert sweep(stale_after_seconds=3600).differences
    shown = state(live, ref)
    assert shown["status"] == "ACTIVE"
    assert shown["latestInvoice"]["status"] == "PAID"


@pytest.mark.parametrize(
    ("order", "seed"),
    [
        ("in_order", None),
        ("reverse", None),
        ("shuffle", 1),
        ("shuffle", 2),
        ("shuffle", 3),
    ],
)
def test_any_delivery_order_with_duplicates_ends_the_same(
    live: Live, stripe_server: StripeTestServer, order: str, seed: int | None
) -> None:
    ref, session_id = checkout(live)
    stripe_server.set_webhook_mode("hold")
    stripe_server.complete_checkout_session(session_id)
    stripe_server.set_webhook_mode("deliver")
    assert stripe_server.release_webhooks(order, duplicates=True, seed=seed) > 0
    stripe_server.wait_for_webhooks()
    shown = eventually(
        lambda: (s := state(live, ref))["status"] == "ACTIVE" and s["latestInvoice"] and s
    )
    assert shown["paymentCollection"] == "NOT_REQUIRED"
    assert shown["latestInvoice"]["status"] == "PAID"
