import pytest
import stripe

from tests.stripe_server import StripeTestServer
from tests.stripe_server.factories import customer, price, subscription

# Stripe expands at most four levels, so the payment intent is one call away from a
# subscription: expand its invoice's payments, then read the invoice with them.
EXPAND = ["latest_invoice.payments", "latest_invoice.confirmation_secret"]


def _payment_intent(invoice: stripe.Invoice) -> stripe.PaymentIntent:
    assert invoice.payments is not None
    pi = invoice.payments.data[0].payment.payment_intent
    assert isinstance(pi, stripe.PaymentIntent)
    return pi


def _latest(sub: stripe.Subscription) -> stripe.Invoice:
    assert isinstance(sub.latest_invoice, stripe.Invoice)
    return sub.latest_invoice


def _with_payment_intent(client: stripe.StripeClient, invoice: stripe.Invoice) -> stripe.Invoice:
    return client.v1.invoices.retrieve(
        invoice.id, {"expand": ["payments.data.payment.payment_intent", "confirmation_secret"]}
    )


def test_expansion_deeper_than_four_levels_is_refused(stripe_client: stripe.StripeClient) -> None:
    buyer = customer(stripe_client)
    sub = subscription(stripe_client, buyer.id, price(stripe_client).id)

    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_client.v1.subscriptions.retrieve(
            sub.id, {"expand": ["latest_invoice.payments.data.payment.payment_intent"]}
        )

    assert "more than 4 levels" in str(error.value.user_message)


def test_failed_first_payment_leaves_the_subscription_incomplete(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    buyer = customer(stripe_client)
    stripe_server.next_payment("fail")

    sub = subscription(stripe_client, buyer.id, price(stripe_client).id, expand=EXPAND)

    invoice = _with_payment_intent(stripe_client, _latest(sub))
    pi = _payment_intent(invoice)
    assert sub.status == "incomplete"
    assert (invoice.status, invoice.attempt_count, invoice.attempted) == ("open", 1, True)
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error is not None
    assert pi.last_payment_error.message == "Your card was declined."
    types = [e["type"] for e in stripe_server.events()]
    assert "invoice.payment_failed" in types and "payment_intent.payment_failed" in types


def test_payment_needing_authentication_asks_for_action(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    buyer = customer(stripe_client)
    stripe_server.next_payment("require_action")

    sub = subscription(stripe_client, buyer.id, price(stripe_client).id, expand=EXPAND)

    invoice = _with_payment_intent(stripe_client, _latest(sub))
    pi = _payment_intent(invoice)
    assert sub.status == "incomplete"
    assert invoice.status == "open"
    assert pi.status == "requires_action"
    assert pi.next_action is not None and pi.next_action.type == "use_stripe_sdk"
    assert invoice.confirmation_secret is not None
    assert invoice.confirmation_secret.client_secret == pi.client_secret
    assert stripe_server.events("invoice.payment_action_required")


def test_customer_completing_authentication_activates_the_subscription(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    buyer = customer(stripe_client, card="pm_card_authenticationRequired")
    sub = subscription(stripe_client, buyer.id, price(stripe_client).id)
    assert sub.status == "incomplete"

    paid = stripe_server.pay_invoice(str(sub.latest_invoice))

    assert paid["status"] == "paid"
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "active"


def test_paying_an_open_invoice_through_the_api(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    buyer = customer(stripe_client)
    stripe_server.next_payment("fail")
    sub = subscription(stripe_client, buyer.id, price(stripe_client).id)

    invoice = stripe_client.v1.invoices.pay(str(sub.latest_invoice))

    assert invoice.status == "paid" and invoice.attempt_count == 2
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "active"


def test_declined_pay_call_answers_402_and_counts_the_attempt(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    buyer = customer(stripe_client)
    stripe_server.next_payment("fail", count=2)
    sub = subscription(stripe_client, buyer.id, price(stripe_client).id)

    with pytest.raises(stripe.CardError) as error:
        stripe_client.v1.invoices.pay(str(sub.latest_invoice))

    assert error.value.code == "card_declined"
    assert stripe_client.v1.invoices.retrieve(str(sub.latest_invoice)).attempt_count == 2


def test_failing_card_declines_every_charge(stripe_client: stripe.StripeClient) -> None:
    buyer = customer(stripe_client, card="pm_card_chargeCustomerFail")

    sub = subscription(stripe_client, buyer.id, price(stripe_client).id)

    assert sub.status == "incomplete"


def test_voiding_an_open_invoice_cancels_its_payment_intent(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    buyer = customer(stripe_client, card=None)
    sub = subscription(
        stripe_client, buyer.id, price(stripe_client).id, payment_behavior="default_incomplete"
    )

    voided = stripe_client.v1.invoices.void_invoice(
        str(sub.latest_invoice), {"expand": ["payments.data.payment.payment_intent"]}
    )

    assert voided.status == "void"
    assert _payment_intent(voided).status == "canceled"
    assert stripe_server.events("invoice.voided")
