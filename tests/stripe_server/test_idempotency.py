"""Idempotency keys belong to one account and last 24 hours of the server's clock."""

from typing import Any

import pytest
import stripe

from tests.stripe_server import StripeTestServer
from tests.stripe_server.fixtures import TEST_API_KEY

HOUR = 3600


def client_for(server: StripeTestServer, key: str) -> stripe.StripeClient:
    return stripe.StripeClient(key, base_addresses={"api": server.url}, max_network_retries=0)


def create_customer(client: stripe.StripeClient, email: str, key: str) -> stripe.Customer:
    options: Any = {"idempotency_key": key}
    return client.v1.customers.create({"email": email}, options)


def replayed(customer: stripe.Customer) -> bool:
    assert customer.last_response is not None
    return customer.last_response.headers.get("Idempotent-Replayed") == "true"


def test_two_accounts_use_the_same_key_independently(stripe_server: StripeTestServer) -> None:
    first = client_for(stripe_server, "sk_test_account_one")
    second = client_for(stripe_server, "sk_test_account_two")

    one = create_customer(first, "one@example.com", "signup-42")
    two = create_customer(second, "two@example.com", "signup-42")

    assert one.id != two.id
    assert (one.email, two.email) == ("one@example.com", "two@example.com")
    assert not replayed(two)
    assert len(stripe_server.events("customer.created")) == 2


def test_an_account_replays_its_own_key_not_another_accounts(
    stripe_server: StripeTestServer,
) -> None:
    first = client_for(stripe_server, "sk_test_account_one")
    second = client_for(stripe_server, "sk_test_account_two")
    original = create_customer(first, "same@example.com", "signup-43")

    other = create_customer(second, "same@example.com", "signup-43")
    again = create_customer(first, "same@example.com", "signup-43")

    assert other.id != original.id and not replayed(other)
    assert again.id == original.id and replayed(again)


def test_other_parameters_within_24_hours_are_an_idempotency_error(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    create_customer(stripe_client, "a@example.com", "signup-44")
    stripe_server.advance_time(24 * HOUR - 60)

    with pytest.raises(stripe.IdempotencyError) as raised:
        create_customer(stripe_client, "b@example.com", "signup-44")

    assert raised.value.http_status == 400
    assert len(stripe_server.events("customer.created")) == 1


def test_same_parameters_within_24_hours_replay(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    first = create_customer(stripe_client, "a@example.com", "signup-45")
    stripe_server.advance_time(23 * HOUR)

    again = create_customer(stripe_client, "a@example.com", "signup-45")

    assert again.id == first.id and replayed(again)


def test_after_24_hours_the_key_starts_a_new_request(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    first = create_customer(stripe_client, "a@example.com", "signup-46")
    stripe_server.advance_time(25 * HOUR)

    other = create_customer(stripe_client, "b@example.com", "signup-46")
    same = create_customer(stripe_client, "b@example.com", "signup-46")

    assert other.id != first.id and not replayed(other)
    assert other.email == "b@example.com"
    # The new request is stored under the key in turn, for another 24 hours.
    assert same.id == other.id and replayed(same)
    assert len(stripe_server.events("customer.created")) == 2


def test_after_24_hours_even_the_same_parameters_run_again(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    first = create_customer(stripe_client, "a@example.com", "signup-47")
    stripe_server.advance_time(24 * HOUR + 1)

    again = create_customer(stripe_client, "a@example.com", "signup-47")

    assert again.id != first.id and not replayed(again)


def test_the_default_test_key_is_an_account_like_any_other(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    other = client_for(stripe_server, TEST_API_KEY + "_other")
    create_customer(stripe_client, "a@example.com", "signup-48")

    created = create_customer(other, "b@example.com", "signup-48")

    assert created.email == "b@example.com"
