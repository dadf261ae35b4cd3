"""Collecting invoices: draft renewals, payments that are processing, the retry policy
and what cancelling a subscription does to its open invoices."""

import stripe

from tests.loopback import LOOPBACK
from tests.stripe_server import StripeTestServer
from tests.stripe_server.factories import DAY, HOUR, customer, price, subscription


def _period_end(client: stripe.StripeClient, sub_id: str) -> int:
    return int(client.v1.subscriptions.retrieve(sub_id)["items"].data[0].current_period_end)


def _latest(client: stripe.StripeClient, sub_id: str) -> stripe.Invoice:
    return client.v1.invoices.retrieve(str(client.v1.subscriptions.retrieve(sub_id).latest_invoice))


def _intent_of(client: stripe.StripeClient, invoice_id: str) -> stripe.PaymentIntent:
    invoice = client.v1.invoices.retrieve(
        invoice_id, {"expand": ["payments.data.payment.payment_intent"]}
    )
    assert invoice.payments is not None
    pi = invoice.payments.data[0].payment.payment_intent
    assert isinstance(pi, stripe.PaymentIntent)
    return pi


def _types(server: StripeTestServer, since: int, object_id: str | None = None) -> list[str]:
    return [
        e["type"]
        for e in server.events()[since:]
        if object_id is None or e["data"]["object"]["id"] == object_id
    ]


def _renew(server: StripeTestServer, client: stripe.StripeClient, sub_id: str) -> stripe.Invoice:
    """Move to the end of the period and past the hour the renewal stays a draft."""
    server.advance_time(_period_end(client, sub_id) - server.now() + HOUR + 60)
    return _latest(client, sub_id)


# Draft renewals ---------------------------------------------------------------------


def test_renewal_is_a_draft_for_an_hour_then_finalized_and_charged(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    sub = subscription(stripe_client, customer(stripe_client).id, price(stripe_client).id)
    end = _period_end(stripe_client, sub.id)
    seen = len(stripe_server.events())

    stripe_server.advance_time(end - stripe_server.now() + 60)

    draft = _latest(stripe_client, sub.id)
    assert draft.id != sub.latest_invoice
    assert (draft.status, draft.billing_reason, draft.number) == (
        "draft",
        "subscription_cycle",
        None,
    )
    assert draft.automatically_finalizes_at == end + HOUR
    assert draft.hosted_invoice_url is None and draft.attempt_count == 0
    assert _types(stripe_server, seen, draft.id) == ["invoice.created"]

    stripe_server.advance_time(HOUR)

    paid = stripe_client.v1.invoices.retrieve(draft.id)
    assert paid.status == "paid" and paid.amount_paid == 1000
    assert paid.automatically_finalizes_at is None
    assert paid.status_transitions.finalized_at == end + HOUR
    assert _types(stripe_server, seen, draft.id) == [
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]


def test_a_draft_renewal_can_be_finalized_early(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    sub = subscription(stripe_client, customer(stripe_client).id, price(stripe_client).id)
    stripe_server.advance_time(_period_end(stripe_client, sub.id) - stripe_server.now() + 60)
    draft = _latest(stripe_client, sub.id)

    finalized = stripe_client.v1.invoices.finalize_invoice(draft.id)

    # Automatic collection attempts the payment as soon as the invoice is final.
    assert finalized.status == "paid"
    stripe_server.advance_time(HOUR)
    assert len(stripe_server.events("invoice.finalized")) == 2


# Processing payments ----------------------------------------------------------------


def test_processing_renewal_waits_then_fails_into_past_due(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    sub = subscription(stripe_client, customer(stripe_client).id, price(stripe_client).id)
    stripe_server.next_payment("processing")

    invoice = _renew(stripe_server, stripe_client, sub.id)

    pi = _intent_of(stripe_client, invoice.id)
    assert pi.status == "processing"
    assert invoice.status == "open" and invoice.next_payment_attempt is None
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "active"
    assert stripe_server.events("payment_intent.processing")
    assert not stripe_server.events("invoice.payment_failed")

    seen = len(stripe_server.events())
    stripe_server.settle_payment(pi.id, "fail")

    assert _intent_of(stripe_client, invoice.id).status == "requires_payment_method"
    failed = stripe_client.v1.invoices.retrieve(invoice.id)
    assert failed.status == "open" and failed.next_payment_attempt is not None
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "past_due"
    assert _types(stripe_server, seen) == [
        "payment_intent.payment_failed",
        "invoice.payment_failed",
        "customer.subscription.updated",
    ]


def test_processing_first_payment_keeps_the_subscription_incomplete_until_it_clears(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    stripe_server.next_payment("processing")
    sub = subscription(stripe_client, customer(stripe_client).id, price(stripe_client).id)
    assert sub.status == "incomplete"

    stripe_server.advance_time(2 * DAY)  # beyond the 23 hours an incomplete one gets

    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "incomplete"
    pi = _intent_of(stripe_client, str(sub.latest_invoice))
    response = LOOPBACK.post(
        f"{stripe_server.url}/_test/payment_intents/{pi.id}/settle", json={"outcome": "succeed"}
    )
    assert response.status_code == 200 and response.json()["status"] == "succeeded"
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "active"
    assert stripe_client.v1.invoices.retrieve(str(sub.latest_invoice)).status == "paid"


def test_settling_a_payment_that_is_not_processing_is_refused(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    sub = subscription(stripe_client, customer(stripe_client).id, price(stripe_client).id)
    pi = _intent_of(stripe_client, str(sub.latest_invoice))

    response = LOOPBACK.post(f"{stripe_server.url}/_test/payment_intents/{pi.id}/settle", json={})

    assert response.status_code == 400
    assert "not processing" in response.json()["error"]["message"]


# Retry policy -----------------------------------------------------------------------


def test_exhausted_retries_make_the_subscription_unpaid(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    stripe_server.set_retry_policy([1, 2], subscription_status="unpaid")
    buyer = customer(stripe_client, card="pm_card_chargeCustomerFail")
    sub = subscription(stripe_client, buyer.id, price(stripe_client).id, trial_period_days=5)

    invoice = _renew(stripe_server, stripe_client, sub.id)
    assert invoice.attempt_count == 1
    assert invoice.next_payment_attempt == invoice.status_transitions.finalized_at + DAY
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "past_due"
    seen = len(stripe_server.events())

    stripe_server.advance_time(3 * DAY)

    unpaid = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert unpaid.status == "unpaid"
    final = stripe_client.v1.invoices.retrieve(invoice.id)
    assert (final.status, final.attempt_count, final.next_payment_attempt) == ("open", 3, None)
    assert _types(stripe_server, seen).count("invoice.payment_failed") == 2
    updated = stripe_server.events("customer.subscription.updated")[-1]
    assert updated["data"]["previous_attributes"] == {"status": "past_due"}
    assert updated["data"]["object"]["status"] == "unpaid"

    # An unpaid subscription keeps invoicing, but no payment is attempted.
    next_invoice = _renew(stripe_server, stripe_client, sub.id)
    assert next_invoice.id != invoice.id
    assert (next_invoice.status, next_invoice.attempt_count) == ("open", 0)
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "unpaid"


def test_exhausted_retries_can_cancel_and_write_off(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    response = LOOPBACK.post(
        f"{stripe_server.url}/_test/retry_policy",
        json={"days": [2], "subscription_status": "canceled", "invoice_status": "uncollectible"},
    )
    assert response.json() == {
        "days": [2],
        "subscription_status": "canceled",
        "invoice_status": "uncollectible",
    }
    sub = subscription(stripe_client, customer(stripe_client).id, price(stripe_client).id)
    stripe_server.next_payment("fail", count=2)

    invoice = _renew(stripe_server, stripe_client, sub.id)
    seen = len(stripe_server.events())
    stripe_server.advance_time(2 * DAY)

    canceled = stripe_client.v1.subscriptions.retrieve(sub.id)
    assert canceled.status == "canceled"
    assert canceled.cancellation_details is not None
    assert canceled.cancellation_details.reason == "payment_failed"
    written_off = stripe_client.v1.invoices.retrieve(invoice.id)
    assert written_off.status == "uncollectible" and written_off.attempt_count == 2
    happened = _types(stripe_server, seen)
    assert [t for t in happened if not t.startswith(("payment_intent.", "invoice.updated"))] == [
        "invoice.payment_failed",
        "customer.subscription.deleted",
        "invoice.marked_uncollectible",
    ]


def test_leaving_past_due_is_the_default_and_policy_is_validated(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    assert LOOPBACK.get(f"{stripe_server.url}/_test/retry_policy").json() == {
        "days": [3, 3, 3],
        "subscription_status": "past_due",
        "invoice_status": "open",
    }
    refused = LOOPBACK.post(
        f"{stripe_server.url}/_test/retry_policy", json={"subscription_status": "paused"}
    )
    assert refused.status_code == 400
    buyer = customer(stripe_client, card="pm_card_chargeCustomerFail")
    sub = subscription(stripe_client, buyer.id, price(stripe_client).id, trial_period_days=3)

    invoice = _renew(stripe_server, stripe_client, sub.id)
    stripe_server.advance_time(10 * DAY)

    assert stripe_client.v1.invoices.retrieve(invoice.id).attempt_count == 4
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "past_due"


# Cancellation -----------------------------------------------------------------------


def test_cancelling_stops_automatic_collection_of_open_invoices(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    sub = subscription(stripe_client, customer(stripe_client).id, price(stripe_client).id)
    stripe_server.next_payment("fail")
    invoice = _renew(stripe_server, stripe_client, sub.id)
    assert invoice.next_payment_attempt is not None

    stripe_client.v1.subscriptions.cancel(sub.id)

    left = stripe_client.v1.invoices.retrieve(invoice.id)
    assert (left.status, left.auto_advance, left.next_payment_attempt) == ("open", False, None)
    updated = stripe_server.events("invoice.updated")[-1]
    assert updated["data"]["previous_attributes"]["auto_advance"] is True
    stripe_server.advance_time(10 * DAY)
    assert stripe_client.v1.invoices.retrieve(invoice.id).attempt_count == 1

    # Turning automatic collection back on resumes the retries.
    resumed = stripe_client.v1.invoices.update(invoice.id, {"auto_advance": True})
    assert resumed.next_payment_attempt is not None
    stripe_server.advance_time(1)
    assert stripe_client.v1.invoices.retrieve(invoice.id).status == "paid"


def test_cancelling_with_invoice_now_invoices_pending_prorations(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    sub = subscription(stripe_client, customer(stripe_client).id, price(stripe_client).id)
    item = sub["items"].data[0]
    stripe_server.advance_time((item.current_period_end - stripe_server.now()) // 2)
    stripe_client.v1.subscriptions.update(sub.id, {"items": [{"id": item.id, "quantity": 2}]})

    canceled = stripe_client.v1.subscriptions.cancel(
        sub.id, {"invoice_now": True, "expand": ["latest_invoice"]}
    )

    final = canceled.latest_invoice
    assert isinstance(final, stripe.Invoice) and final.id != sub.latest_invoice
    credit, debit = (line.amount for line in final.lines.data)
    assert credit < 0 < debit
    assert final.status == "paid" and final.amount_paid == credit + debit
    assert canceled.status == "canceled"


def test_cancelling_without_invoice_now_drops_pending_prorations(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    sub = subscription(stripe_client, customer(stripe_client).id, price(stripe_client).id)
    item = sub["items"].data[0]
    stripe_client.v1.subscriptions.update(sub.id, {"items": [{"id": item.id, "quantity": 2}]})

    canceled = stripe_client.v1.subscriptions.cancel(sub.id)

    assert canceled.latest_invoice == sub.latest_invoice
    assert len(stripe_client.v1.invoices.list({"subscription": sub.id}).data) == 1
