"""Nested parameters are checked against the SDK's typed params, as Stripe checks them."""

from typing import Any

import httpx
import pytest
import stripe

from tests.loopback import LOOPBACK
from tests.stripe_server import StripeTestServer, factories
from tests.stripe_server.fixtures import TEST_API_KEY


def post(server: StripeTestServer, path: str, body: str, key: str = TEST_API_KEY) -> httpx.Response:
    """A raw form POST, so the test says exactly which brackets go on the wire."""
    return LOOPBACK.post(
        f"{server.url}{path}",
        content=body,
        headers={
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )


def error_of(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    return error


def test_unknown_key_inside_a_list_item_is_refused_with_its_full_path(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    customer = factories.customer(stripe_client)
    price = factories.price(stripe_client)

    response = post(
        stripe_server,
        "/v1/subscriptions",
        f"customer={customer.id}&items[0][price]={price.id}&items[0][bogus]=1",
    )

    error = error_of(response)
    assert (error["code"], error["param"]) == ("parameter_unknown", "items[0][bogus]")
    assert error["message"] == "Received unknown parameter: items[0][bogus]"
    assert stripe_client.v1.subscriptions.list().data == []


def test_unknown_key_inside_a_nested_hash_is_refused(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    product = stripe_client.v1.products.create({"name": "Pro"})

    response = post(
        stripe_server,
        "/v1/prices",
        f"product={product.id}&currency=usd&unit_amount=100"
        "&recurring[interval]=month&recurring[intervall]=month",
    )

    error = error_of(response)
    assert (error["code"], error["param"]) == ("parameter_unknown", "recurring[intervall]")


def test_unknown_key_two_levels_down_is_refused(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    customer = factories.customer(stripe_client)
    price = factories.price(stripe_client)

    response = post(
        stripe_server,
        "/v1/invoices/create_preview",
        f"customer={customer.id}&subscription_details[items][0][price]={price.id}"
        "&subscription_details[items][0][colour]=red",
    )

    error = error_of(response)
    assert error["param"] == "subscription_details[items][0][colour]"
    assert error["code"] == "parameter_unknown"


def test_missing_required_nested_key_is_parameter_missing(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    product = stripe_client.v1.products.create({"name": "Pro"})

    response = post(
        stripe_server,
        "/v1/prices",
        f"product={product.id}&currency=usd&unit_amount=100&recurring[interval_count]=1",
    )

    error = error_of(response)
    assert (error["code"], error["param"]) == ("parameter_missing", "recurring[interval]")


def test_missing_required_key_of_a_list_item_is_parameter_missing(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    response = post(stripe_server, "/v1/customers", "tax_id_data[0][type]=eu_vat")

    error = error_of(response)
    assert (error["code"], error["param"]) == ("parameter_missing", "tax_id_data[0][value]")
    assert stripe_client.v1.customers.list().data == []


def test_sdk_raises_invalid_request_error_for_a_nested_unknown_key(
    stripe_client: stripe.StripeClient,
) -> None:
    customer = factories.customer(stripe_client)
    price = factories.price(stripe_client)

    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.subscriptions.create(
            {"customer": customer.id, "items": [{"price": price.id, "coupon": "x"}]}  # type: ignore[typeddict-unknown-key]
        )

    assert (raised.value.code, raised.value.param) == ("parameter_unknown", "items[0][coupon]")


def test_a_hash_where_a_string_belongs_is_refused(stripe_server: StripeTestServer) -> None:
    response = post(stripe_server, "/v1/customers", "email[address]=a@example.com")

    assert error_of(response)["param"] == "email"


def test_every_parameter_the_sdk_types_is_still_accepted(
    stripe_client: stripe.StripeClient,
) -> None:
    customer = factories.customer(stripe_client)
    price = factories.price(stripe_client)

    subscription = stripe_client.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price": price.id, "quantity": 2, "metadata": {"seat": "a"}}],
            "metadata": {"plan": "pro"},
            "payment_settings": {"save_default_payment_method": "on_subscription"},
            "expand": ["latest_invoice"],
        }
    )

    assert subscription.status == "active"
