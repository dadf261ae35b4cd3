import stripe

from tests.stripe_server import StripeTestServer
from tests.stripe_server.factories import HOUR, customer, price, subscription


def _first_item(sub: stripe.Subscription) -> stripe.SubscriptionItem:
    return sub["items"].data[0]


def test_quantity_change_bills_its_proration_at_the_next_renewal(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    sub = subscription(stripe_client, customer(stripe_client).id, price(stripe_client).id)
    item = _first_item(sub)
    end = item.current_period_end
    stripe_server.advance_time((end - stripe_server.now()) // 2)

    updated = stripe_client.v1.subscriptions.update(
        sub.id, {"items": [{"id": item.id, "quantity": 3}]}
    )
    assert _first_item(updated).quantity == 3
    assert updated.latest_invoice == sub.latest_invoice
    stripe_server.advance_time(end - stripe_server.now() + HOUR + 60)

    renewal = stripe_client.v1.invoices.retrieve(
        str(stripe_client.v1.subscriptions.retrieve(sub.id).latest_invoice)
    )
    amounts = [line.amount for line in renewal.lines.data]
    assert amounts[-1] == 3000
    assert len(amounts) == 3 and amounts[0] < 0 < amounts[1]
    assert renewal.amount_paid == sum(amounts)


def test_always_invoice_charges_the_proration_at_once(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    sub = subscription(stripe_client, customer(stripe_client).id, price(stripe_client).id)
    business = price(stripe_client, amount=3000, name="Business")

    updated = stripe_client.v1.subscriptions.update(
        sub.id,
        {
            "items": [{"id": _first_item(sub).id, "price": business.id}],
            "proration_behavior": "always_invoice",
            "expand": ["latest_invoice"],
        },
    )

    invoice = updated.latest_invoice
    assert isinstance(invoice, stripe.Invoice)
    assert invoice.billing_reason == "subscription_update"
    assert invoice.status == "paid"
    assert 1990 <= invoice.amount_paid <= 2000
    assert _first_item(updated).price.id == business.id


def test_adding_and_removing_items(stripe_client: stripe.StripeClient) -> None:
    sub = subscription(stripe_client, customer(stripe_client).id, price(stripe_client).id)
    addon = price(stripe_client, amount=200, name="Seats")

    grown = stripe_client.v1.subscriptions.update(
        sub.id, {"items": [{"price": addon.id, "quantity": 4}], "proration_behavior": "none"}
    )
    assert [i.quantity for i in grown["items"].data] == [1, 4]
    added = grown["items"].data[1]
    assert added.current_period_end == _first_item(sub).current_period_end

    shrunk = stripe_client.v1.subscriptions.update(
        sub.id, {"items": [{"id": added.id, "deleted": True}], "proration_behavior": "none"}
    )
    assert [i.id for i in shrunk["items"].data] == [_first_item(sub).id]


def test_switching_to_a_yearly_price_restarts_the_period_and_invoices_now(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    sub = subscription(stripe_client, customer(stripe_client).id, price(stripe_client).id)
    yearly = price(stripe_client, amount=10000, interval="year")

    updated = stripe_client.v1.subscriptions.update(
        sub.id,
        {"items": [{"id": _first_item(sub).id, "price": yearly.id}], "expand": ["latest_invoice"]},
    )

    item = _first_item(updated)
    assert updated.billing_cycle_anchor == item.current_period_start
    assert item.current_period_end - item.current_period_start >= 365 * 86_400
    invoice = updated.latest_invoice
    assert isinstance(invoice, stripe.Invoice)
    assert invoice.status == "paid"
    assert invoice.amount_paid == 10000 - 1000


def test_subscription_item_endpoint_updates_the_quantity(
    stripe_client: stripe.StripeClient,
) -> None:
    sub = subscription(stripe_client, customer(stripe_client).id, price(stripe_client).id)

    item = stripe_client.v1.subscription_items.update(
        _first_item(sub).id, {"quantity": 7, "proration_behavior": "none"}
    )

    assert item.quantity == 7
    listed = stripe_client.v1.subscription_items.list({"subscription": sub.id})
    assert [i.quantity for i in listed.data] == [7]


def test_metadata_and_trial_extension(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    sub = subscription(
        stripe_client, customer(stripe_client).id, price(stripe_client).id, trial_period_days=7
    )
    later = stripe_server.now() + 20 * 86_400

    updated = stripe_client.v1.subscriptions.update(
        sub.id, {"trial_end": later, "metadata": {"plan": "pro"}}
    )

    assert updated.trial_end == later and updated.status == "trialing"
    assert _first_item(updated).current_period_end == later
    assert updated.metadata.to_dict() == {"plan": "pro"}
    event = stripe_server.events("customer.subscription.updated")[-1]
    assert "trial_end" in event["data"]["previous_attributes"]


def test_ending_a_trial_now_charges_at_once(stripe_client: stripe.StripeClient) -> None:
    sub = subscription(
        stripe_client, customer(stripe_client).id, price(stripe_client).id, trial_period_days=7
    )

    updated = stripe_client.v1.subscriptions.update(
        sub.id, {"trial_end": "now", "expand": ["latest_invoice"]}
    )

    assert updated.status == "active"
    assert isinstance(updated.latest_invoice, stripe.Invoice)
    assert updated.latest_invoice.amount_paid == 1000
