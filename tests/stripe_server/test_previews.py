from decimal import ROUND_HALF_UP, Decimal

import stripe

from tests.stripe_server import StripeTestServer
from tests.stripe_server.factories import customer, price, subscription


def _share(amount: int, start: int, end: int, at: int) -> int:
    exact = Decimal(amount) * Decimal(end - at) / Decimal(end - start)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _subscribed(
    client: stripe.StripeClient, amount: int
) -> tuple[stripe.Subscription, stripe.SubscriptionItem, int, int]:
    sub = subscription(client, customer(client).id, price(client, amount=amount).id)
    item = sub["items"].data[0]
    return sub, item, item.current_period_start, item.current_period_end


def test_quantity_change_preview_prorates_to_the_second(
    stripe_client: stripe.StripeClient,
) -> None:
    sub, item, start, end = _subscribed(stripe_client, 3000)
    at = start + (end - start) // 3 + 7

    preview = stripe_client.v1.invoices.create_preview(
        {
            "subscription": sub.id,
            "subscription_details": {
                "items": [{"id": item.id, "quantity": 2}],
                "proration_date": at,
            },
        }
    )

    lines = preview.lines.data
    credit, debit, renewal = (line.amount for line in lines)
    assert credit == -_share(3000, start, end, at)
    assert debit == _share(6000, start, end, at)
    assert renewal == 6000
    assert lines[0].description is not None and lines[0].description.startswith("Unused time on")
    assert lines[1].description is not None and lines[1].description.startswith(
        "Remaining time on 2 \u00d7"
    )
    assert lines[0].period.start == at and lines[0].period.end == end
    assert preview.total == credit + debit + renewal
    assert preview.parent is not None and preview.parent.subscription_details is not None
    assert preview.parent.subscription_details.subscription_proration_date == at
    assert preview.id.startswith("upcoming_")


def test_price_change_preview_credits_the_old_price_and_charges_the_new(
    stripe_client: stripe.StripeClient,
) -> None:
    sub, item, start, end = _subscribed(stripe_client, 1000)
    bigger = price(stripe_client, amount=2500, name="Business")
    at = start + 1_234_567

    preview = stripe_client.v1.invoices.create_preview(
        {
            "subscription": sub.id,
            "subscription_details": {
                "items": [{"id": item.id, "price": bigger.id}],
                "proration_date": at,
                "proration_behavior": "always_invoice",
            },
        }
    )

    assert [line.amount for line in preview.lines.data] == [
        -_share(1000, start, end, at),
        _share(2500, start, end, at),
    ]
    assert preview.billing_reason == "subscription_update"


def test_preview_without_changes_is_the_next_renewal(stripe_client: stripe.StripeClient) -> None:
    sub, _, _, end = _subscribed(stripe_client, 1200)

    preview = stripe_client.v1.invoices.create_preview({"subscription": sub.id})

    assert preview.amount_due == 1200
    assert preview.billing_reason == "subscription_cycle"
    assert preview.lines.data[0].period.start == end


def test_preview_of_a_new_subscription_prices_its_first_invoice(
    stripe_client: stripe.StripeClient,
) -> None:
    buyer = customer(stripe_client)
    pro = price(stripe_client, amount=1900)

    preview = stripe_client.v1.invoices.create_preview(
        {
            "customer": buyer.id,
            "subscription_details": {"items": [{"price": pro.id, "quantity": 2}]},
        }
    )

    assert preview.amount_due == 3800


def test_preview_changes_nothing(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    sub, item, _, _ = _subscribed(stripe_client, 1000)
    events_before = len(stripe_server.events())

    stripe_client.v1.invoices.create_preview(
        {
            "subscription": sub.id,
            "subscription_details": {"items": [{"id": item.id, "quantity": 5}]},
        }
    )

    assert stripe_client.v1.subscriptions.retrieve(sub.id)["items"].data[0].quantity == 1
    assert len(stripe_server.events()) == events_before
