import stripe

from tests.stripe_server import StripeTestServer
from tests.stripe_server.factories import DAY, HOUR, customer, price, subscription


def _period(client: stripe.StripeClient, sub_id: str) -> tuple[int, int]:
    item = client.v1.subscriptions.retrieve(sub_id)["items"].data[0]
    return item.current_period_start, item.current_period_end


def test_renewal_creates_and_pays_the_next_invoice(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    buyer = customer(stripe_client)
    sub = subscription(stripe_client, buyer.id, price(stripe_client, amount=900).id)
    _, end = _period(stripe_client, sub.id)

    stripe_server.advance_time(end - stripe_server.now() + HOUR + 60)

    start, _ = _period(stripe_client, sub.id)
    renewed = stripe_client.v1.subscriptions.retrieve(sub.id, {"expand": ["latest_invoice"]})
    invoice = renewed.latest_invoice
    assert isinstance(invoice, stripe.Invoice)
    assert start == end
    assert (invoice.billing_reason, invoice.status, invoice.amount_paid) == (
        "subscription_cycle",
        "paid",
        900,
    )
    assert invoice.lines.data[0].period.start == end
    cycle = stripe_server.events("invoice.created")[-1]
    assert cycle["created"] == end and cycle["request"]["id"] is None


def test_failed_renewal_makes_the_subscription_past_due_then_retries(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    buyer = customer(stripe_client)
    sub = subscription(stripe_client, buyer.id, price(stripe_client).id)
    _, end = _period(stripe_client, sub.id)
    stripe_server.next_payment("fail")

    stripe_server.advance_time(end - stripe_server.now() + HOUR + 60)

    past_due = stripe_client.v1.subscriptions.retrieve(sub.id, {"expand": ["latest_invoice"]})
    invoice = past_due.latest_invoice
    assert isinstance(invoice, stripe.Invoice)
    assert past_due.status == "past_due"
    assert invoice.status == "open" and invoice.next_payment_attempt is not None

    stripe_server.advance_time(3 * DAY)

    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "active"
    assert stripe_client.v1.invoices.retrieve(invoice.id).attempt_count == 2


def test_renewal_that_needs_authentication_waits_for_the_customer(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    buyer = customer(stripe_client)
    sub = subscription(stripe_client, buyer.id, price(stripe_client).id)
    _, end = _period(stripe_client, sub.id)
    stripe_server.next_payment("require_action")

    stripe_server.advance_time(end - stripe_server.now() + HOUR + 60)

    renewed = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert renewed.status == "past_due"
    invoice = stripe_client.v1.invoices.retrieve(str(renewed.latest_invoice))
    assert invoice.next_payment_attempt is None
    stripe_server.pay_invoice(invoice.id)
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "active"


def test_trial_warns_three_days_ahead_then_ends_with_a_charge(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    buyer = customer(stripe_client)
    sub = subscription(stripe_client, buyer.id, price(stripe_client).id, trial_period_days=7)

    stripe_server.advance_time(5 * DAY)
    assert [e["type"] for e in stripe_server.events()][-1] == "customer.subscription.trial_will_end"
    stripe_server.advance_time(2 * DAY + HOUR + 60)

    ended = stripe_client.v1.subscriptions.retrieve(sub.id, {"expand": ["latest_invoice"]})
    assert ended.status == "active"
    assert isinstance(ended.latest_invoice, stripe.Invoice)
    assert ended.latest_invoice.amount_paid == 1000


def test_trial_ending_without_a_card_goes_past_due(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    buyer = customer(stripe_client, card=None)
    sub = subscription(stripe_client, buyer.id, price(stripe_client).id, trial_period_days=3)

    stripe_server.advance_time(3 * DAY + HOUR + 60)

    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "past_due"


def test_cancel_at_period_end_ends_the_subscription_at_renewal(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    buyer = customer(stripe_client)
    sub = subscription(stripe_client, buyer.id, price(stripe_client).id)
    _, end = _period(stripe_client, sub.id)

    updated = stripe_client.v1.subscriptions.update(sub.id, {"cancel_at_period_end": True})
    assert updated.cancel_at == end and updated.status == "active"
    stripe_server.advance_time(end - stripe_server.now() + 60)

    ended = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert ended.status == "canceled" and ended.ended_at == end
    assert stripe_server.events("customer.subscription.deleted")
    assert len(stripe_client.v1.invoices.list({"subscription": sub.id}).data) == 1


def test_unpaid_incomplete_subscription_expires_after_23_hours(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    buyer = customer(stripe_client, card=None)
    sub = subscription(
        stripe_client, buyer.id, price(stripe_client).id, payment_behavior="default_incomplete"
    )

    stripe_server.advance_time(24 * 3600)

    expired = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert expired.status == "incomplete_expired"
    assert stripe_client.v1.invoices.retrieve(str(expired.latest_invoice)).status == "void"
