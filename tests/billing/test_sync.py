"""End to end: GraphQL, the in-process broker and worker, and the Stripe test server."""

from __future__ import annotations

import time
from typing import Any

import pytest
import stripe

from tests.billing.conftest import jobs_done, remote
from tests.conftest import GraphQL
from tests.stripe_server.server import StripeTestServer

PROVISION_CUSTOMER = """
mutation($input: ProvisionCustomerInput!) {
  provisionCustomer(input: $input) { customer { customerId billingId hasPaymentMethod } }
}"""
PROVISION = """
mutation($input: ProvisionSubscriptionInput!) {
  provisionSubscriptionV2(input: $input) {
    status checkoutUrl checkoutBillingId
    subscription { refId status paymentCollection billingId
      latestInvoice { billingId status requiresAction paymentUrl paymentSecret errorMessage } }
  }
}"""
GET = """
query($id: String!) {
  getSubscription(input: {subscriptionId: $id}) {
    refId status paymentCollection billingId billingSyncError
    latestInvoice { billingId status requiresAction paymentUrl paymentSecret errorMessage }
  }
}"""


def customer(api: GraphQL, customer_id: str = "c-1", **fields: Any) -> dict[str, Any]:
    data = api(PROVISION_CUSTOMER, {"input": {"customerId": customer_id, **fields}})
    return dict(data["provisionCustomer"]["customer"])


def provision(api: GraphQL, **fields: Any) -> dict[str, Any]:
    fields.setdefault("customerId", "c-1")
    return dict(api(PROVISION, {"input": fields})["provisionSubscriptionV2"])


def eventually(check: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def subscription(api: GraphQL, ref: str) -> dict[str, Any]:
    return dict(api(GET, {"id": ref})["getSubscription"])


def test_free_customer_creates_nothing_in_stripe(
    billing_api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    customer(billing_api)
    result = provision(billing_api, planId="free")
    assert result["status"] == "SUCCESS"
    assert result["subscription"]["status"] == "ACTIVE"
    jobs_done(billing_api)
    assert remote(stripe_client) == {"customers": 0, "subscriptions": 0}


def test_paid_plan_without_payment_method_answers_with_a_checkout_url(
    billing_api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    customer(billing_api)
    result = provision(
        billing_api,
        planId="basic",
        billingPeriod="MONTHLY",
        checkoutOptions={
            "successUrl": "https://app.example.com/ok",
            "cancelUrl": "https://app.example.com/cancel",
        },
    )
    assert result["status"] == "PAYMENT_REQUIRED"
    assert result["checkoutUrl"].startswith("http")
    assert result["checkoutBillingId"].startswith("cs_")
    assert result["subscription"]["status"] == "PAYMENT_PENDING"
    session = stripe_client.v1.checkout.sessions.retrieve(result["checkoutBillingId"])
    assert session.mode == "subscription"
    assert session.success_url == "https://app.example.com/ok"
    assert session.metadata is not None
    assert session.metadata["billing_sync_subscription_id"] == result["subscription"]["refId"]


def test_pending_checkout_keeps_what_the_customer_holds(billing_api: GraphQL) -> None:
    customer(billing_api)
    free = provision(billing_api, planId="free")["subscription"]["refId"]
    provision(billing_api, planId="basic", billingPeriod="MONTHLY")
    assert subscription(billing_api, free)["status"] == "ACTIVE"


def test_with_a_payment_method_the_stripe_subscription_is_created(
    billing_api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    made = customer(billing_api, billingInformation={"paymentMethodId": "pm_card_visa"})
    assert made["customerId"] == "c-1"
    assert eventually(lambda: customer(billing_api)["hasPaymentMethod"])
    result = provision(
        billing_api,
        planId="pro",
        billingPeriod="MONTHLY",
        skipTrial=True,
        billableFeatures=[{"featureId": "seats", "quantity": 3}],
        addons=[{"addonId": "extra", "quantity": 2}],
        promotionCode="HALF50",
        awaitPaymentConfirmation=True,
    )
    assert result["status"] == "SUCCESS"
    shown = result["subscription"]
    assert shown["status"] == "ACTIVE"
    assert shown["billingId"].startswith("sub_")
    assert shown["paymentCollection"] == "NOT_REQUIRED"
    assert shown["latestInvoice"]["status"] == "PAID"
    remote_sub = stripe_client.v1.subscriptions.retrieve(shown["billingId"])
    quantities = sorted(item.quantity or 0 for item in remote_sub["items"].data)
    assert quantities == [1, 2, 3]
    assert remote_sub.metadata["billing_sync_subscription_id"] == shown["refId"]
    assert remote_sub.discounts


def test_trial_subscription_is_created_with_its_trial_end(
    billing_api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    customer(billing_api, billingInformation={"paymentMethodId": "pm_card_visa"})
    result = provision(
        billing_api,
        planId="pro",
        billingPeriod="MONTHLY",
        unitQuantity=1,
        awaitPaymentConfirmation=True,
    )
    shown = result["subscription"]
    assert shown["status"] == "IN_TRIAL"
    remote_sub = stripe_client.v1.subscriptions.retrieve(shown["billingId"])
    assert remote_sub.status == "trialing"
    assert remote_sub.trial_end is not None


def test_failed_first_payment_shows_failed_collection(
    billing_api: GraphQL, stripe_server: StripeTestServer
) -> None:
    customer(billing_api, billingInformation={"paymentMethodId": "pm_card_visa"})
    eventually(lambda: customer(billing_api)["hasPaymentMethod"])
    stripe_server.next_payment("fail")
    result = provision(
        billing_api, planId="basic", billingPeriod="MONTHLY", awaitPaymentConfirmation=True
    )
    shown = result["subscription"]
    assert shown["paymentCollection"] == "FAILED"
    assert shown["latestInvoice"]["status"] == "OPEN"


def test_payment_requiring_action_gives_url_and_secret(
    billing_api: GraphQL, stripe_server: StripeTestServer
) -> None:
    customer(billing_api, billingInformation={"paymentMethodId": "pm_card_visa"})
    eventually(lambda: customer(billing_api)["hasPaymentMethod"])
    stripe_server.next_payment("require_action")
    shown = provision(
        billing_api, planId="basic", billingPeriod="MONTHLY", awaitPaymentConfirmation=True
    )["subscription"]
    assert shown["paymentCollection"] == "ACTION_REQUIRED", shown
    invoice = shown["latestInvoice"]
    assert invoice["requiresAction"] is True
    assert invoice["paymentUrl"]
    assert invoice["paymentSecret"]


def test_injected_rate_limits_and_outages_are_retried_until_done(
    billing_api: GraphQL, stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    customer(billing_api, billingInformation={"paymentMethodId": "pm_card_visa"})
    eventually(lambda: customer(billing_api)["hasPaymentMethod"])
    stripe_server.fail_next(429, 2)
    stripe_server.fail_next(500, 1)
    ref = provision(billing_api, planId="basic", billingPeriod="MONTHLY")["subscription"]["refId"]
    assert eventually(lambda: subscription(billing_api, ref)["billingId"], timeout=30)
    assert remote(stripe_client)["subscriptions"] == 1


def test_cancellation_reaches_stripe(
    billing_api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    customer(billing_api, billingInformation={"paymentMethodId": "pm_card_visa"})
    eventually(lambda: customer(billing_api)["hasPaymentMethod"])
    shown = provision(
        billing_api, planId="basic", billingPeriod="MONTHLY", awaitPaymentConfirmation=True
    )["subscription"]
    billing_api(
        "mutation($id: String!) { cancelSubscription(input: {subscriptionRefId: $id, "
        "subscriptionCancellationTime: IMMEDIATE}) { status } }",
        {"id": shown["refId"]},
    )
    assert eventually(
        lambda: stripe_client.v1.subscriptions.retrieve(shown["billingId"]).status == "canceled"
    )


@pytest.mark.redis
def test_through_the_redis_broker_checkout_and_card_paths_work(
    redis_billing_api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    customer(redis_billing_api, "no-card")
    pending = provision(
        redis_billing_api, customerId="no-card", planId="basic", billingPeriod="MONTHLY"
    )
    assert pending["status"] == "PAYMENT_REQUIRED"
    assert pending["checkoutUrl"]
    customer(redis_billing_api, "card", billingInformation={"paymentMethodId": "pm_card_visa"})
    assert eventually(lambda: customer(redis_billing_api, "card")["hasPaymentMethod"])
    paid = provision(
        redis_billing_api,
        customerId="card",
        planId="basic",
        billingPeriod="MONTHLY",
        awaitPaymentConfirmation=True,
    )
    assert paid["subscription"]["latestInvoice"]["status"] == "PAID"
    assert remote(stripe_client)["subscriptions"] == 1


def test_a_slow_checkout_still_answers_and_the_url_shows_later(
    billing_api: GraphQL, billing_settings: Any
) -> None:
    from app.config import set_settings

    customer(billing_api)
    set_settings(billing_settings.model_copy(update={"job_result_timeout_seconds": 0.001}))
    result = provision(billing_api, planId="basic", billingPeriod="MONTHLY")
    set_settings(billing_settings)
    assert result["status"] == "PAYMENT_REQUIRED"
    ref = result["subscription"]["refId"]
    assert result["subscription"]["status"] == "PAYMENT_PENDING"
    query = (
        "query($id: String!) { getSubscription(input: {subscriptionId: $id}) "
        "{ checkoutUrl checkoutBillingId } }"
    )
    shown = eventually(lambda: billing_api(query, {"id": ref})["getSubscription"]["checkoutUrl"])
    assert shown and shown.startswith("http")


def test_quantity_and_addon_changes_reach_stripe(
    billing_api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    customer(billing_api, billingInformation={"paymentMethodId": "pm_card_visa"})
    eventually(lambda: customer(billing_api)["hasPaymentMethod"])
    shown = provision(
        billing_api,
        planId="pro",
        billingPeriod="MONTHLY",
        skipTrial=True,
        unitQuantity=2,
        awaitPaymentConfirmation=True,
    )["subscription"]
    billing_api(
        "mutation($input: UpdateSubscriptionInput!) { updateOneSubscription(input: $input)"
        " { refId } }",
        {
            "input": {
                "subscriptionId": shown["refId"],
                "unitQuantity": 5,
                "addons": [{"addonId": "extra", "quantity": 3}],
            }
        },
    )

    def quantities() -> list[int]:
        remote_sub = stripe_client.v1.subscriptions.retrieve(shown["billingId"])
        return sorted(item.quantity or 0 for item in remote_sub["items"].data)

    assert eventually(lambda: quantities() == [1, 3, 5])


def test_replacing_a_paid_subscription_cancels_it_in_stripe(
    billing_api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    customer(billing_api, billingInformation={"paymentMethodId": "pm_card_visa"})
    eventually(lambda: customer(billing_api)["hasPaymentMethod"])
    old = provision(
        billing_api, planId="basic", billingPeriod="MONTHLY", awaitPaymentConfirmation=True
    )["subscription"]
    provision(
        billing_api,
        planId="pro",
        billingPeriod="MONTHLY",
        skipTrial=True,
        unitQuantity=1,
        awaitPaymentConfirmation=True,
    )
    assert eventually(
        lambda: stripe_client.v1.subscriptions.retrieve(old["billingId"]).status == "canceled"
    )
