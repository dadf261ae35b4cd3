"""Tax rates on subscriptions, their invoices and Checkout."""

from decimal import Decimal
from typing import Any

import pytest
import stripe

from tests.stripe_server import StripeTestServer
from tests.stripe_server.factories import DAY, customer, price, subscription


def tax_rate(
    client: stripe.StripeClient, percentage: str, *, inclusive: bool = False
) -> stripe.TaxRate:
    return client.v1.tax_rates.create(
        {"display_name": "VAT", "percentage": float(percentage), "inclusive": inclusive}
    )


def decimal_price(client: stripe.StripeClient, amount: str) -> stripe.Price:
    product = client.v1.products.create({"name": "Units"})
    return client.v1.prices.create(
        {
            "product": product.id,
            "currency": "usd",
            "unit_amount_decimal": Decimal(amount),
            "recurring": {"interval": "month"},
        }
    )


def first_invoice(client: stripe.StripeClient, sub: stripe.Subscription) -> stripe.Invoice:
    return client.v1.invoices.retrieve(str(sub.latest_invoice))


def test_tax_rate_keeps_its_terms(stripe_client: stripe.StripeClient) -> None:
    rate = stripe_client.v1.tax_rates.create(
        {
            "display_name": "Sales tax",
            "percentage": 8.25,
            "inclusive": False,
            "metadata": {"ref": "ny"},
        }
    )

    found = stripe_client.v1.tax_rates.retrieve(rate.id)
    assert rate.id.startswith("txr_")
    assert (found.percentage, found.inclusive, found.active) == (8.25, False, True)
    assert found.metadata is not None and found.metadata.to_dict() == {"ref": "ny"}


def test_percentage_cannot_be_changed_after_creation(stripe_client: stripe.StripeClient) -> None:
    rate = tax_rate(stripe_client, "20")

    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.tax_rates.update(rate.id, {"percentage": 10})  # type: ignore[typeddict-unknown-key]

    assert caught.value.param == "percentage"


def test_inclusive_is_required(stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.tax_rates.create({"display_name": "VAT", "percentage": 20})  # type: ignore[typeddict-item]

    assert caught.value.param == "inclusive"


def test_list_filters_by_active_and_inclusive(stripe_client: stripe.StripeClient) -> None:
    exclusive = tax_rate(stripe_client, "20")
    inclusive = tax_rate(stripe_client, "10", inclusive=True)
    stripe_client.v1.tax_rates.update(exclusive.id, {"active": False})

    active = stripe_client.v1.tax_rates.list({"active": True})
    assert [r.id for r in active.data] == [inclusive.id]
    listed = stripe_client.v1.tax_rates.list({"inclusive": False})
    assert [r.id for r in listed.data] == [exclusive.id]


def test_exclusive_rate_is_added_to_each_line_after_its_discount(
    stripe_client: stripe.StripeClient,
) -> None:
    buyer = customer(stripe_client)
    rate = tax_rate(stripe_client, "19")
    coupon = stripe_client.v1.coupons.create({"percent_off": 10, "duration": "forever"})

    sub = subscription(
        stripe_client,
        buyer.id,
        price(stripe_client, amount=999).id,
        default_tax_rates=[rate.id],
        discounts=[{"coupon": coupon.id}],
    )

    invoice = first_invoice(stripe_client, sub)
    # 999 - 100 (10 %, half up) = 899 taxed at 19 %: 170.81 -> 171.
    line = invoice.lines.data[0]
    assert [(t.amount, t.taxable_amount, t.tax_behavior) for t in line.taxes or []] == [
        (171, 899, "exclusive")
    ]
    assert (invoice.subtotal, invoice.total_excluding_tax, invoice.total) == (999, 899, 1070)
    assert invoice.amount_paid == 1070
    assert [(t.amount, t.tax_rate_details.tax_rate) for t in invoice.total_taxes or []] == [  # type: ignore[union-attr]
        (171, rate.id)
    ]
    assert [r.id for r in invoice.default_tax_rates] == [rate.id]
    assert [r.id for r in sub.default_tax_rates or []] == [rate.id]


def test_inclusive_rate_is_inside_the_total(stripe_client: stripe.StripeClient) -> None:
    buyer = customer(stripe_client)
    rate = tax_rate(stripe_client, "25", inclusive=True)

    sub = subscription(
        stripe_client, buyer.id, price(stripe_client, amount=1000).id, default_tax_rates=[rate.id]
    )

    invoice = first_invoice(stripe_client, sub)
    assert [(t.amount, t.taxable_amount) for t in invoice.total_taxes or []] == [(200, 800)]
    assert (invoice.subtotal, invoice.total, invoice.amount_paid) == (1000, 1000, 1000)
    assert (invoice.subtotal_excluding_tax, invoice.total_excluding_tax) == (800, 800)


def test_tax_is_rounded_per_line(stripe_client: stripe.StripeClient) -> None:
    buyer = customer(stripe_client)
    rate = tax_rate(stripe_client, "10")
    product = stripe_client.v1.products.create({"name": "Two"})
    other = stripe_client.v1.prices.create(
        {
            "product": product.id,
            "currency": "usd",
            "unit_amount": 5,
            "recurring": {"interval": "month"},
        }
    )

    sub = stripe_client.v1.subscriptions.create(
        {
            "customer": buyer.id,
            "items": [{"price": price(stripe_client, amount=5).id}, {"price": other.id}],
            "default_tax_rates": [rate.id],
        }
    )

    invoice = first_invoice(stripe_client, sub)
    # 0.5 cent on each line rounds up to 1 each: 2, where the subtotal's 10 % would be 1.
    assert [t.amount for line in invoice.lines.data for t in line.taxes or []] == [1, 1]
    assert invoice.total == 12


def test_inactive_rate_cannot_be_applied(stripe_client: stripe.StripeClient) -> None:
    rate = tax_rate(stripe_client, "20")
    stripe_client.v1.tax_rates.update(rate.id, {"active": False})

    with pytest.raises(stripe.InvalidRequestError) as caught:
        subscription(
            stripe_client,
            customer(stripe_client).id,
            price(stripe_client).id,
            default_tax_rates=[rate.id],
        )

    assert caught.value.param == "default_tax_rates[0]"


def test_unknown_rate_is_refused(stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        subscription(
            stripe_client,
            customer(stripe_client).id,
            price(stripe_client).id,
            default_tax_rates=["txr_nope"],
        )

    assert caught.value.param == "default_tax_rates[0]"


def test_per_item_tax_rates_are_refused(stripe_client: stripe.StripeClient) -> None:
    rate = tax_rate(stripe_client, "20")

    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.subscriptions.create(
            {
                "customer": customer(stripe_client).id,
                "items": [{"price": price(stripe_client).id, "tax_rates": [rate.id]}],
            }
        )

    assert caught.value.param == "items[0][tax_rates]"


def test_changed_rates_apply_to_the_next_invoice_and_can_be_cleared(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    sub = subscription(stripe_client, customer(stripe_client).id, price(stripe_client).id)
    rate = tax_rate(stripe_client, "20")

    updated = stripe_client.v1.subscriptions.update(sub.id, {"default_tax_rates": [rate.id]})
    assert [r.id for r in updated.default_tax_rates or []] == [rate.id]
    stripe_server.advance_time(32 * DAY)
    renewals = stripe_client.v1.invoices.list({"subscription": sub.id}).data
    assert renewals[0].total == 1200

    cleared = stripe_client.v1.subscriptions.update(sub.id, {"default_tax_rates": ""})
    assert cleared.default_tax_rates == []


def test_prorations_are_taxed_at_the_subscription_rates(
    stripe_client: stripe.StripeClient,
) -> None:
    rate = tax_rate(stripe_client, "10")
    sub = subscription(
        stripe_client,
        customer(stripe_client).id,
        price(stripe_client).id,
        default_tax_rates=[rate.id],
    )
    item = sub["items"].data[0]

    stripe_client.v1.subscriptions.update(
        sub.id,
        {
            "items": [{"id": item.id, "quantity": 2}],
            "proration_behavior": "always_invoice",
        },
    )

    invoice = stripe_client.v1.invoices.retrieve(
        str(stripe_client.v1.subscriptions.retrieve(sub.id).latest_invoice)
    )
    lines = invoice.lines.data
    taxes = [sum(t.amount for t in line.taxes or []) for line in lines]
    assert taxes == [round(Decimal(line.amount) / 10) for line in lines]
    assert invoice.total == sum(line.amount for line in lines) + sum(taxes)


def checkout(client: stripe.StripeClient, price_id: str, **extra: Any) -> stripe.checkout.Session:
    params: dict[str, Any] = {
        "mode": "subscription",
        "line_items": [{"price": price_id, "quantity": 1}],
        "success_url": "https://app.example.com/done",
        "customer": customer(client, card=None).id,
        **extra,
    }
    return client.v1.checkout.sessions.create(params)  # type: ignore[arg-type]


def test_checkout_passes_default_tax_rates_to_the_subscription(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    rate = tax_rate(stripe_client, "20")
    session = checkout(
        stripe_client,
        price(stripe_client).id,
        subscription_data={"default_tax_rates": [rate.id]},
    )

    stripe_server.complete_checkout_session(session.id)

    done = stripe_client.v1.checkout.sessions.retrieve(session.id)
    sub = stripe_client.v1.subscriptions.retrieve(str(done.subscription))
    assert [r.id for r in sub.default_tax_rates or []] == [rate.id]
    assert first_invoice(stripe_client, sub).total == 1200
    assert done.amount_total == 1200
    assert done.total_details is not None and done.total_details.amount_tax == 200


def test_checkout_refuses_per_line_tax_rates(stripe_client: stripe.StripeClient) -> None:
    rate = tax_rate(stripe_client, "20")

    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.checkout.sessions.create(
            {
                "mode": "subscription",
                "line_items": [
                    {"price": price(stripe_client).id, "quantity": 1, "tax_rates": [rate.id]}
                ],
                "success_url": "https://app.example.com/done",
            }
        )

    assert caught.value.param == "line_items[0][tax_rates]"


def test_fractional_price_is_taxed_on_its_rounded_line(
    stripe_client: stripe.StripeClient,
) -> None:
    rate = tax_rate(stripe_client, "7")

    sub = stripe_client.v1.subscriptions.create(
        {
            "customer": customer(stripe_client).id,
            "items": [{"price": decimal_price(stripe_client, "0.5").id, "quantity": 1000}],
            "default_tax_rates": [rate.id],
        }
    )

    invoice = first_invoice(stripe_client, sub)
    assert (invoice.subtotal, invoice.total) == (500, 535)
