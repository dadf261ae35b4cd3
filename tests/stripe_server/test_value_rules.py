"""Value rules Stripe enforces on parameters: lengths, formats and list sizes."""

from typing import Any

import pytest
import stripe

from tests.stripe_server import StripeTestServer, factories


def refused(call: Any) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        call()
    error = raised.value
    assert error.http_status == 400
    assert error.json_body is not None
    assert error.json_body["error"]["type"] == "invalid_request_error"
    return error


def session_params(price_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "mode": "subscription",
        "line_items": [{"price": price_id, "quantity": 1}],
        "success_url": "https://example.com/success",
        "cancel_url": "https://example.com/cancel",
        **extra,
    }


def test_customer_phone_over_20_characters_is_refused(stripe_client: stripe.StripeClient) -> None:
    error = refused(
        lambda: stripe_client.v1.customers.create({"phone": "+1 780-459-5656 ext. 725"})
    )

    assert error.param == "phone"
    assert "must be at most 20 characters" in str(error.user_message)
    assert stripe_client.v1.customers.list().data == []


def test_customer_phone_of_20_characters_is_accepted(stripe_client: stripe.StripeClient) -> None:
    customer = stripe_client.v1.customers.create({"phone": "+1 780-459-5656 x725"})

    assert customer.phone == "+1 780-459-5656 x725"


def test_phone_update_over_20_characters_is_refused(stripe_client: stripe.StripeClient) -> None:
    customer = stripe_client.v1.customers.create({"phone": "+44 20 7946 0000"})

    error = refused(lambda: stripe_client.v1.customers.update(customer.id, {"phone": "0" * 21}))

    assert error.param == "phone"


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("eu_vat", "DE12345678"),
        ("eu_vat", "123456789"),
        ("eu_vat", "ATU1234567"),
        ("us_ein", "12-34567"),
        ("us_ein", "AB-3456789"),
        ("gb_vat", "GB12345678"),
        ("gb_vat", "DE123456789"),
        ("au_abn", "1234567891"),
    ],
)
def test_malformed_tax_id_is_tax_id_invalid(
    stripe_client: stripe.StripeClient, kind: str, value: str
) -> None:
    customer = stripe_client.v1.customers.create({"name": "Acme"})

    error = refused(
        lambda: stripe_client.v1.customers.tax_ids.create(
            customer.id,
            {"type": kind, "value": value},  # type: ignore[typeddict-item]
        )
    )

    assert (error.code, error.param) == ("tax_id_invalid", "value")


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("eu_vat", "DE123456789"),
        ("eu_vat", "ATU12345678"),
        ("eu_vat", "FRAB123456789"),
        ("eu_vat", "NL123456789B01"),
        ("us_ein", "12-3456789"),
        ("gb_vat", "GB123456789"),
        ("au_abn", "12 345 678 912"),
    ],
)
def test_well_formed_tax_id_is_accepted(
    stripe_client: stripe.StripeClient, kind: str, value: str
) -> None:
    customer = stripe_client.v1.customers.create({"name": "Acme"})

    tax_id = stripe_client.v1.customers.tax_ids.create(
        customer.id,
        {"type": kind, "value": value},  # type: ignore[typeddict-item]
    )

    assert tax_id.value == value


def test_malformed_tax_id_data_refuses_the_whole_customer(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    error = refused(
        lambda: stripe_client.v1.customers.create(
            {
                "name": "Acme",
                "tax_id_data": [
                    {"type": "eu_vat", "value": "DE123456789"},
                    {"type": "us_ein", "value": "123"},
                ],
            }
        )
    )

    assert (error.code, error.param) == ("tax_id_invalid", "tax_id_data[1][value]")
    assert stripe_client.v1.customers.list().data == []
    assert stripe_server.events() == []


def test_promotion_code_with_an_underscore_is_refused(stripe_client: stripe.StripeClient) -> None:
    coupon = stripe_client.v1.coupons.create({"percent_off": 10})

    error = refused(
        lambda: stripe_client.v1.promotion_codes.create(
            {"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "SPRING_SALE"}
        )
    )

    assert error.param == "code"
    assert stripe_client.v1.promotion_codes.list().data == []


def test_promotion_code_of_letters_digits_and_dashes_is_accepted(
    stripe_client: stripe.StripeClient,
) -> None:
    coupon = stripe_client.v1.coupons.create({"percent_off": 10})

    promo = stripe_client.v1.promotion_codes.create(
        {"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "Spring-2026"}
    )

    assert promo.code == "Spring-2026"


@pytest.mark.parametrize("name", ["success_url", "cancel_url"])
@pytest.mark.parametrize(
    "url", ["example.com/done", "/done", "ftp://example.com/done", "https://", "https://a b.com/"]
)
def test_checkout_url_that_is_not_absolute_http_is_url_invalid(
    stripe_client: stripe.StripeClient, name: str, url: str
) -> None:
    price = factories.price(stripe_client)

    error = refused(
        lambda: stripe_client.v1.checkout.sessions.create(session_params(price.id, **{name: url}))  # type: ignore[arg-type]
    )

    assert (error.code, error.param) == ("url_invalid", name)
    assert error.user_message == "Not a valid URL"


def test_checkout_url_with_the_session_id_template_is_accepted(
    stripe_client: stripe.StripeClient,
) -> None:
    price = factories.price(stripe_client)
    url = "http://127.0.0.1:8000/done?session_id={CHECKOUT_SESSION_ID}"

    session = stripe_client.v1.checkout.sessions.create(
        session_params(price.id, success_url=url)  # type: ignore[arg-type]
    )

    assert session.success_url == url


def test_client_reference_id_over_200_characters_is_refused(
    stripe_client: stripe.StripeClient,
) -> None:
    price = factories.price(stripe_client)

    error = refused(
        lambda: stripe_client.v1.checkout.sessions.create(
            session_params(price.id, client_reference_id="r" * 201)  # type: ignore[arg-type]
        )
    )

    assert error.param == "client_reference_id"
    assert "must be at most 200 characters" in str(error.user_message)


def test_more_than_20_subscription_items_are_refused(stripe_client: stripe.StripeClient) -> None:
    customer = factories.customer(stripe_client)
    prices = [factories.price(stripe_client, name=f"Seat {n}") for n in range(21)]

    error = refused(
        lambda: stripe_client.v1.subscriptions.create(
            {"customer": customer.id, "items": [{"price": p.id} for p in prices]}
        )
    )

    assert error.param == "items"
    assert stripe_client.v1.subscriptions.list().data == []


def test_20_subscription_items_are_accepted(stripe_client: stripe.StripeClient) -> None:
    customer = factories.customer(stripe_client)
    prices = [factories.price(stripe_client, name=f"Seat {n}") for n in range(20)]

    sub = stripe_client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": p.id} for p in prices]}
    )

    assert len(sub["items"].data) == 20


def test_more_than_20_checkout_line_items_are_refused(stripe_client: stripe.StripeClient) -> None:
    prices = [factories.price(stripe_client, name=f"Seat {n}") for n in range(21)]
    params = session_params(prices[0].id)
    params["line_items"] = [{"price": p.id, "quantity": 1} for p in prices]

    error = refused(lambda: stripe_client.v1.checkout.sessions.create(params))  # type: ignore[arg-type]

    assert error.param == "line_items"


def test_metadata_with_more_than_50_keys_is_refused(stripe_client: stripe.StripeClient) -> None:
    metadata = {f"k{n}": "v" for n in range(51)}

    error = refused(lambda: stripe_client.v1.customers.create({"metadata": metadata}))

    assert error.param == "metadata"


def test_metadata_key_over_40_characters_is_refused(stripe_client: stripe.StripeClient) -> None:
    error = refused(lambda: stripe_client.v1.customers.create({"metadata": {"k" * 41: "v"}}))

    assert error.param == "metadata"


def test_metadata_value_over_500_characters_is_refused(
    stripe_client: stripe.StripeClient,
) -> None:
    error = refused(lambda: stripe_client.v1.customers.create({"metadata": {"k": "v" * 501}}))

    assert error.param == "metadata"


def test_metadata_at_its_limits_is_accepted(stripe_client: stripe.StripeClient) -> None:
    metadata = {f"{n:02d}".ljust(40, "k"): "v" * 500 for n in range(50)}

    customer = stripe_client.v1.customers.create({"metadata": metadata})

    assert customer.metadata.to_dict() == metadata


def test_nested_metadata_is_limited_too(stripe_client: stripe.StripeClient) -> None:
    price = factories.price(stripe_client)

    error = refused(
        lambda: stripe_client.v1.checkout.sessions.create(
            session_params(price.id, subscription_data={"metadata": {"k": "v" * 501}})  # type: ignore[arg-type]
        )
    )

    assert error.param == "subscription_data[metadata]"


def test_string_over_5000_characters_is_refused(stripe_client: stripe.StripeClient) -> None:
    error = refused(lambda: stripe_client.v1.customers.create({"description": "d" * 5001}))

    assert error.param == "description"
    assert "must be at most 5000 characters" in str(error.user_message)


def test_nested_string_over_5000_characters_is_refused(
    stripe_client: stripe.StripeClient,
) -> None:
    error = refused(lambda: stripe_client.v1.customers.create({"address": {"line1": "x" * 5001}}))

    assert error.param == "address[line1]"
