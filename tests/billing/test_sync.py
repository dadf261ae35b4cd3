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


def test_a_checkout_job_reads_its_subscription_once_and_a_known_price_not_again(
    billing_api: GraphQL, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.billing import catalog, checkout, customers

    subscription_reads: list[str] = []
    price_reads: list[str] = []
    read_subscription = checkout._read
    read_row = catalog._read

    def counted_subscription(subscription_id: str) -> Any:
        subscription_reads.append(subscription_id)
        return read_subscription(subscription_id)

    def counted_row(model: Any, row_id: str) -> Any:
        if model.__name__ == "PackagePrice":
            price_reads.append(row_id)
        return read_row(model, row_id)

    customer_reads: list[str] = []
    read_customer = customers.read_customer

    def counted_customer(customer_id: str) -> Any:
        customer_reads.append(customer_id)
        return read_customer(customer_id)

    monkeypatch.setattr(checkout, "_read", counted_subscription)
    monkeypatch.setattr(catalog, "_read", counted_row)
    monkeypatch.setattr(customers, "read_customer", counted_customer)
    options = {"successUrl": "https://app.example.com/ok", "cancelUrl": "https://app.example.com/x"}
    urls = []
    price_reads_before_last = 0
    for number in (1, 2, 3):
        price_reads_before_last = len(price_reads)
        customer(billing_api, f"c-{number}")
        answer = provision(
            billing_api,
            customerId=f"c-{number}",
            planId="basic",
            billingPeriod="MONTHLY",
            checkoutOptions=options,
        )
        urls.append(answer["checkoutUrl"])

    assert all(url.startswith("http") for url in urls)
    # The provisioning call names the customer: the job takes its lock without a read
    # first, and reads the subscription, and its customer with it, once under it.
    assert len(subscription_reads) == 3
    assert customer_reads == []
    assert len(set(subscription_reads)) == 3
    # The plan's price is read while Stripe's id for it is not known yet (created for the
    # first checkout, learned by the second); the third reads none.
    assert price_reads
    assert len(price_reads) == price_reads_before_last


def test_a_checkout_job_refuses_a_customer_not_the_subscriptions(billing_api: GraphQL) -> None:
    from app import db
    from app.billing import checkout
    from app.models import Subscription

    customer(billing_api)
    customer(billing_api, "c-2")
    answer = provision(billing_api, planId="basic", billingPeriod="MONTHLY")
    assert answer["status"] == "PAYMENT_REQUIRED"
    ref = answer["subscription"]["refId"]
    from sqlmodel import Session, select

    from app.models import Customer

    with Session(db.get_engine()) as session:
        row = session.exec(select(Subscription).where(Subscription.ref_id == ref)).one()
        other = session.exec(select(Customer).where(Customer.customer_id == "c-2")).one()
        row.checkout_url = None
        row.checkout_billing_id = None
        session.add(row)
        session.commit()
        subscription_id, other_id = row.id, other.id

    with pytest.raises(ValueError, match="belongs to customer"):
        checkout.create_checkout(subscription_id, {}, customer_id=other_id)


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
