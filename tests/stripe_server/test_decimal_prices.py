"""Prices in fractions of a minor unit (`unit_amount_decimal`) and the invoices they make."""

from decimal import Decimal

import pytest
import stripe

from tests.stripe_server import StripeTestServer, factories


def decimal_price(client: stripe.StripeClient, amount: str) -> stripe.Price:
    product = client.v1.products.create({"name": "API calls"})
    return client.v1.prices.create(
        {
            "product": product.id,
            "currency": "usd",
            "unit_amount_decimal": Decimal(amount),
            "recurring": {"interval": "month"},
        }
    )


def test_fractional_price_keeps_its_decimal_and_has_no_whole_unit_amount(
    stripe_client: stripe.StripeClient,
) -> None:
    price = decimal_price(stripe_client, "0.5")

    assert price.unit_amount is None
    assert price.unit_amount_decimal == Decimal("0.5")


def test_whole_decimal_price_also_shows_its_unit_amount(
    stripe_client: stripe.StripeClient,
) -> None:
    price = decimal_price(stripe_client, "1000.00")

    assert (price.unit_amount, price.unit_amount_decimal) == (1000, Decimal(1000))


def test_half_cent_unit_price_times_1000_bills_500(
    stripe_client: stripe.StripeClient,
) -> None:
    customer = factories.customer(stripe_client)
    price = decimal_price(stripe_client, "0.5")

    sub = stripe_client.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price": price.id, "quantity": 1000}],
            "expand": ["latest_invoice"],
        }
    )

    invoice = sub.latest_invoice
    assert isinstance(invoice, stripe.Invoice)
    assert [line.amount for line in invoice.lines.data] == [500]
    assert (invoice.subtotal, invoice.amount_due, invoice.amount_paid) == (500, 500, 500)
    line = invoice.lines.data[0]
    assert line.pricing is not None and line.pricing.unit_amount_decimal == Decimal("0.5")


def test_each_line_rounds_half_up_once_from_the_exact_product(
    stripe_client: stripe.StripeClient,
) -> None:
    customer = factories.customer(stripe_client)
    third = decimal_price(stripe_client, "0.333333333333")
    quarter = decimal_price(stripe_client, "1.125")

    sub = stripe_client.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price": third.id, "quantity": 3}, {"price": quarter.id, "quantity": 2}],
            "expand": ["latest_invoice"],
        }
    )

    invoice = sub.latest_invoice
    assert isinstance(invoice, stripe.Invoice)
    # 0.999999999999 -> 1 and 2.25 -> 2: never 0 from truncating the unit price first.
    assert sorted(line.amount for line in invoice.lines.data) == [1, 2]
    assert invoice.total == 3


def test_renewal_invoice_is_priced_from_the_exact_decimal(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    customer = factories.customer(stripe_client)
    price = decimal_price(stripe_client, "0.005")
    sub = stripe_client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id, "quantity": 30_000}]}
    )

    stripe_server.advance_time(32 * factories.DAY)

    renewal = stripe_client.v1.invoices.list(
        {"subscription": sub.id, "status": "paid", "limit": 1}
    ).data[0]
    assert renewal.billing_reason == "subscription_cycle"
    assert renewal.amount_paid == 150


def test_checkout_amounts_use_the_exact_decimal(stripe_client: stripe.StripeClient) -> None:
    price = decimal_price(stripe_client, "0.5")

    session = stripe_client.v1.checkout.sessions.create(
        {
            "mode": "subscription",
            "line_items": [{"price": price.id, "quantity": 1000}],
            "success_url": "https://example.com/success",
            "expand": ["line_items"],
        }
    )

    assert session.amount_subtotal == 500
    assert session.line_items is not None
    assert [item.amount_total for item in session.line_items.data] == [500]


@pytest.mark.parametrize("amount", ["0.1234567890123", "-1", "NaN", "abc"])
def test_malformed_unit_amount_decimal_is_refused(
    stripe_client: stripe.StripeClient, amount: str
) -> None:
    product = stripe_client.v1.products.create({"name": "API calls"})

    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.prices.create(
            {
                "product": product.id,
                "currency": "usd",
                "unit_amount_decimal": amount,  # type: ignore[typeddict-item]
            }
        )

    assert raised.value.param == "unit_amount_decimal"


def test_unit_amount_and_unit_amount_decimal_together_are_refused(
    stripe_client: stripe.StripeClient,
) -> None:
    product = stripe_client.v1.products.create({"name": "API calls"})

    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.prices.create(
            {
                "product": product.id,
                "currency": "usd",
                "unit_amount": 1,
                "unit_amount_decimal": Decimal("0.5"),
            }
        )

    assert raised.value.code == "parameters_exclusive"
