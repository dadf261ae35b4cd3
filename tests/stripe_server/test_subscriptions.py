import pytest
import stripe

from tests.stripe_server import StripeTestServer
from tests.stripe_server.factories import DAY, customer, price, subscription

EXPAND_INVOICE = ["latest_invoice.payments", "latest_invoice.confirmation_secret"]


def _invoice(sub: stripe.Subscription) -> stripe.Invoice:
    invoice = sub.latest_invoice
    assert isinstance(invoice, stripe.Invoice)
    return invoice


def test_customer_with_a_card_gets_an_active_subscription_and_a_paid_invoice(
    stripe_client: stripe.StripeClient,
) -> None:
    buyer = customer(stripe_client)
    pro = price(stripe_client, amount=1500)

    sub = subscription(
        stripe_client,
        buyer.id,
        pro.id,
        items=[{"price": pro.id, "quantity": 3}],
        metadata={"subscription_id": "s-1"},
        expand=EXPAND_INVOICE,
    )

    invoice = _invoice(sub)
    assert sub.status == "active"
    assert invoice.status == "paid"
    assert (invoice.amount_due, invoice.total, invoice.amount_paid) == (4500, 4500, 4500)
    assert invoice.billing_reason == "subscription_create"
    assert invoice.hosted_invoice_url and invoice.invoice_pdf
    assert invoice.parent is not None and invoice.parent.subscription_details is not None
    assert invoice.parent.subscription_details.subscription == sub.id
    assert invoice.parent.subscription_details.metadata.to_dict() == {"subscription_id": "s-1"}
    assert invoice.confirmation_secret is not None
    assert invoice.confirmation_secret.type == "payment_intent"
    assert invoice.payments is not None and invoice.payments.data[0].status == "paid"
    item = sub["items"].data[0]
    assert item.quantity == 3
    assert item.current_period_end - item.current_period_start in range(28 * DAY, 32 * DAY)


def test_default_incomplete_without_a_card_leaves_an_open_invoice(
    stripe_client: stripe.StripeClient,
) -> None:
    buyer = customer(stripe_client, card=None)

    sub = subscription(
        stripe_client,
        buyer.id,
        price(stripe_client).id,
        payment_behavior="default_incomplete",
        expand=EXPAND_INVOICE,
    )

    invoice = _invoice(sub)
    assert sub.status == "incomplete"
    assert invoice.status == "open"
    assert invoice.attempt_count == 0
    assert invoice.confirmation_secret is not None
    assert invoice.confirmation_secret.client_secret.startswith("pi_")


def test_default_incomplete_never_charges_even_with_a_card(
    stripe_client: stripe.StripeClient,
) -> None:
    buyer = customer(stripe_client)

    sub = subscription(
        stripe_client, buyer.id, price(stripe_client).id, payment_behavior="default_incomplete"
    )

    assert sub.status == "incomplete"
    invoice = stripe_client.v1.invoices.retrieve(str(sub.latest_invoice))
    pi = stripe_client.v1.payment_intents.confirm(_payment_intent(stripe_client, invoice.id))
    assert pi.status == "succeeded"
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "active"


def _payment_intent(client: stripe.StripeClient, invoice_id: str) -> str:
    payments = client.v1.invoice_payments.list({"invoice": invoice_id})
    return str(payments.data[0].payment.payment_intent)


def test_allow_incomplete_needs_a_payment_method(stripe_client: stripe.StripeClient) -> None:
    buyer = customer(stripe_client, card=None)

    with pytest.raises(stripe.InvalidRequestError) as error:
        subscription(stripe_client, buyer.id, price(stripe_client).id)

    assert "no attached payment source" in str(error.value.user_message)


def test_retired_coupon_parameter_is_refused(stripe_client: stripe.StripeClient) -> None:
    buyer = customer(stripe_client)

    with pytest.raises(stripe.InvalidRequestError) as error:
        subscription(stripe_client, buyer.id, price(stripe_client).id, coupon="X")

    assert (error.value.code, error.value.param) == ("parameter_unknown", "coupon")


def test_trial_starts_trialing_with_a_zero_invoice(stripe_client: stripe.StripeClient) -> None:
    buyer = customer(stripe_client, card=None)

    sub = subscription(
        stripe_client,
        buyer.id,
        price(stripe_client).id,
        trial_period_days=14,
        expand=EXPAND_INVOICE,
    )

    assert sub.status == "trialing"
    assert sub.trial_end is not None and sub.trial_start is not None
    assert sub.trial_end - sub.trial_start == 14 * DAY
    assert sub["items"].data[0].current_period_end == sub.trial_end
    invoice = _invoice(sub)
    assert (invoice.status, invoice.amount_due) == ("paid", 0)
    assert invoice.confirmation_secret is None


def test_backdated_start_charges_every_period_since(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    buyer = customer(stripe_client)
    start = stripe_server.now() - 40 * DAY

    sub = subscription(
        stripe_client,
        buyer.id,
        price(stripe_client, amount=1000).id,
        backdate_start_date=start,
        expand=["latest_invoice"],
    )

    assert sub.start_date == start
    assert sub.billing_cycle_anchor == start
    assert _invoice(sub).amount_paid == 2000
    item = sub["items"].data[0]
    assert item.current_period_start <= stripe_server.now() < item.current_period_end


def test_billing_cycle_anchor_prorates_the_first_period(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    buyer = customer(stripe_client)
    anchor = stripe_server.now() + 10 * DAY

    sub = subscription(
        stripe_client,
        buyer.id,
        price(stripe_client, amount=3000).id,
        billing_cycle_anchor=anchor,
        expand=["latest_invoice"],
    )

    line = _invoice(sub).lines.data[0]
    assert sub.billing_cycle_anchor == anchor
    assert sub["items"].data[0].current_period_end == anchor
    assert 900 <= line.amount <= 1100
    assert line.parent is not None and line.parent.subscription_item_details is not None
    assert line.parent.subscription_item_details.proration is True


def test_promotion_code_discounts_the_invoice(stripe_client: stripe.StripeClient) -> None:
    buyer = customer(stripe_client)
    coupon = stripe_client.v1.coupons.create({"percent_off": 25, "duration": "forever"})
    promo = stripe_client.v1.promotion_codes.create(
        {"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "QUARTER"}
    )

    sub = subscription(
        stripe_client,
        buyer.id,
        price(stripe_client, amount=2000).id,
        discounts=[{"promotion_code": promo.id}],
        expand=["latest_invoice", "discounts"],
    )

    invoice = _invoice(sub)
    assert (invoice.subtotal, invoice.total, invoice.amount_paid) == (2000, 1500, 1500)
    discount = sub.discounts[0]
    assert isinstance(discount, stripe.Discount)
    assert discount.promotion_code == promo.id
    assert discount.source.coupon == coupon.id
    assert stripe_client.v1.promotion_codes.retrieve(promo.id).times_redeemed == 1


def test_error_if_incomplete_creates_nothing_when_the_card_is_declined(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    buyer = customer(stripe_client)
    stripe_server.next_payment("fail")

    with pytest.raises(stripe.CardError) as error:
        subscription(
            stripe_client, buyer.id, price(stripe_client).id, payment_behavior="error_if_incomplete"
        )

    assert error.value.code == "card_declined"
    assert stripe_client.v1.subscriptions.list({"customer": buyer.id}).data == []


def test_list_by_customer_hides_canceled_unless_asked(stripe_client: stripe.StripeClient) -> None:
    buyer = customer(stripe_client)
    pro = price(stripe_client)
    kept = subscription(stripe_client, buyer.id, pro.id)
    gone = subscription(stripe_client, buyer.id, pro.id)

    canceled = stripe_client.v1.subscriptions.cancel(gone.id)

    assert canceled.status == "canceled" and canceled.ended_at is not None
    listed = stripe_client.v1.subscriptions.list({"customer": buyer.id})
    assert [s.id for s in listed.data] == [kept.id]
    every = stripe_client.v1.subscriptions.list({"customer": buyer.id, "status": "all"})
    assert {s.id for s in every.data} == {kept.id, gone.id}


def test_expanding_the_customer_and_the_subscription_of_an_invoice(
    stripe_client: stripe.StripeClient,
) -> None:
    buyer = customer(stripe_client)
    sub = subscription(stripe_client, buyer.id, price(stripe_client).id, expand=["customer"])

    invoice = stripe_client.v1.invoices.retrieve(
        str(sub.latest_invoice), {"expand": ["parent.subscription_details.subscription"]}
    )

    assert isinstance(sub.customer, stripe.Customer) and sub.customer.id == buyer.id
    assert invoice.parent is not None and invoice.parent.subscription_details is not None
    expanded = invoice.parent.subscription_details.subscription
    assert isinstance(expanded, stripe.Subscription) and expanded.id == sub.id


def test_expanding_an_unknown_field_is_an_error(stripe_client: stripe.StripeClient) -> None:
    buyer = customer(stripe_client)

    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_client.v1.customers.retrieve(buyer.id, {"expand": ["email"]})

    assert error.value.param == "expand"
