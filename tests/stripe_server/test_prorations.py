"""Prorations under discounts, as flexible billing mode with `proration_discounts=included`
serves them: net amounts, discounts named with amounts of 0, credits from what was paid."""

from decimal import ROUND_HALF_UP, Decimal

import stripe

from tests.stripe_server import StripeTestServer
from tests.stripe_server.factories import customer, price, subscription


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _share(amount: int, start: int, end: int, at: int) -> int:
    return _round(Decimal(amount) * Decimal(end - at) / Decimal(end - start))


def _discounted(
    client: stripe.StripeClient, coupon: dict[str, object]
) -> tuple[stripe.Subscription, stripe.SubscriptionItem, str, int, int]:
    made = client.v1.coupons.create(coupon)  # type: ignore[arg-type]
    sub = subscription(
        client,
        customer(client).id,
        price(client, amount=1000).id,
        discounts=[{"coupon": made.id}],
    )
    item = sub["items"].data[0]
    assert sub.discounts
    return sub, item, str(sub.discounts[0]), item.current_period_start, item.current_period_end


def _change_quantity(
    client: stripe.StripeClient, sub: stripe.Subscription, item_id: str, at: int
) -> stripe.Invoice:
    updated = client.v1.subscriptions.update(
        sub.id,
        {
            "items": [{"id": item_id, "quantity": 2}],
            "proration_behavior": "always_invoice",
            "proration_date": at,
            "expand": ["latest_invoice"],
        },
    )
    assert isinstance(updated.latest_invoice, stripe.Invoice)
    return updated.latest_invoice


def test_proration_lines_are_net_of_a_forever_discount(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    sub, item, discount_id, start, end = _discounted(
        stripe_client, {"percent_off": 20, "duration": "forever"}
    )
    at = start + (end - start) // 3 + 11

    invoice = _change_quantity(stripe_client, sub, item.id, at)

    credit, debit = invoice.lines.data
    gross = _share(2000, start, end, at)
    assert credit.amount == -_share(800, start, end, at)  # the 800 charged, not 1000
    assert debit.amount == gross - _round(Decimal(gross) * Decimal("0.2"))
    for line in (credit, debit):
        assert line.discountable is False
        assert [(d.amount, d.discount) for d in line.discount_amounts or []] == [(0, discount_id)]
        assert line.discounts == [discount_id]
    assert invoice.subtotal == invoice.total == credit.amount + debit.amount
    assert [d.amount for d in invoice.total_discount_amounts or []] == [0]
    assert invoice.amount_paid == credit.amount + debit.amount


def test_credit_after_a_once_coupon_is_the_share_of_what_was_charged(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    sub, item, discount_id, start, end = _discounted(
        stripe_client, {"percent_off": 50, "duration": "once"}
    )
    first = stripe_client.v1.invoices.retrieve(str(sub.latest_invoice))
    assert first.amount_paid == 500
    at = start + (end - start) // 2

    invoice = _change_quantity(stripe_client, sub, item.id, at)

    credit, debit = invoice.lines.data
    assert credit.amount == -_share(500, start, end, at)
    assert [(d.amount, d.discount) for d in credit.discount_amounts or []] == [(0, discount_id)]
    # The coupon was used up by the first invoice: the new time is charged in full.
    assert debit.amount == _share(2000, start, end, at)
    assert debit.discount_amounts == [] and debit.discounts == []
    assert invoice.total == credit.amount + debit.amount


def test_pending_prorations_keep_the_discount_they_were_made_with(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    sub, item, discount_id, start, end = _discounted(
        stripe_client, {"percent_off": 10, "duration": "forever"}
    )
    at = start + (end - start) // 4

    stripe_client.v1.subscriptions.update(
        sub.id, {"items": [{"id": item.id, "quantity": 3}], "proration_date": at}
    )
    preview = stripe_client.v1.invoices.create_preview({"subscription": sub.id})

    credit, debit, renewal = preview.lines.data
    gross = _share(3000, start, end, at)
    assert credit.amount == -_share(900, start, end, at)
    assert debit.amount == gross - _round(Decimal(gross) * Decimal("0.1"))
    # The renewal line is discounted the ordinary way, on the invoice.
    assert renewal.amount == 3000 and renewal.discountable is True
    assert [(d.amount, d.discount) for d in renewal.discount_amounts or []] == [(300, discount_id)]
    assert preview.total == credit.amount + debit.amount + 2700
