import pytest
import stripe

from tests.loopback import LOOPBACK
from tests.stripe_server import StripeTestServer
from tests.stripe_server.fixtures import TEST_API_KEY


def test_same_key_and_parameters_replay_the_first_response(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    options = {"idempotency_key": "customer-1-create"}

    first = stripe_client.v1.customers.create({"email": "a@example.com"}, options)  # type: ignore[arg-type]
    second = stripe_client.v1.customers.create({"email": "a@example.com"}, options)  # type: ignore[arg-type]

    assert second.id == first.id
    assert second.last_response is not None
    assert second.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(stripe_client.v1.customers.list().data) == 1
    assert len(stripe_server.events("customer.created")) == 1


def test_same_key_with_other_parameters_is_an_idempotency_error(
    stripe_client: stripe.StripeClient,
) -> None:
    options = {"idempotency_key": "customer-2-create"}
    stripe_client.v1.customers.create({"email": "a@example.com"}, options)  # type: ignore[arg-type]

    with pytest.raises(stripe.IdempotencyError) as error:
        stripe_client.v1.customers.create({"email": "b@example.com"}, options)  # type: ignore[arg-type]

    assert error.value.http_status == 400
    assert "same parameters" in str(error.value.user_message)


def test_same_key_on_another_endpoint_is_an_idempotency_error(
    stripe_client: stripe.StripeClient,
) -> None:
    options = {"idempotency_key": "shared-key"}
    stripe_client.v1.customers.create({"name": "x"}, options)  # type: ignore[arg-type]

    with pytest.raises(stripe.IdempotencyError):
        stripe_client.v1.products.create({"name": "x"}, options)  # type: ignore[arg-type]


def test_injected_429_is_a_rate_limit_error(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    stripe_server.fail_next(429)

    with pytest.raises(stripe.RateLimitError) as error:
        stripe_client.v1.customers.create({"name": "x"})

    body = error.value.json_body
    assert body is not None and body["error"]["code"] == "rate_limit"
    assert stripe_client.v1.customers.create({"name": "x"}).name == "x"


def test_injected_500_is_an_api_error_and_creates_nothing(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    stripe_server.fail_next(500, count=2, path="/v1/customers")

    for _ in range(2):
        with pytest.raises(stripe.APIError) as error:
            stripe_client.v1.customers.create({"name": "x"})
        assert error.value.http_status == 500

    assert stripe_client.v1.customers.list().data == []


def test_retry_after_an_injected_failure_reuses_the_key_and_succeeds(
    stripe_server: StripeTestServer,
) -> None:
    client = stripe.StripeClient(
        TEST_API_KEY, base_addresses={"api": stripe_server.url}, max_network_retries=1
    )
    stripe_server.fail_next(500)

    created = client.v1.customers.create({"name": "retried"})

    assert created.name == "retried"
    keys = [r["idempotency_key"] for r in stripe_server.api.requests]
    assert len(keys) == 2 and keys[0] == keys[1]


def test_failure_after_execution_is_replayed_as_success_on_retry(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    stripe_server.fail_next(500, after_execution=True)
    options = {"idempotency_key": "lost-response"}

    with pytest.raises(stripe.APIError):
        stripe_client.v1.customers.create({"name": "x"}, options)  # type: ignore[arg-type]
    again = stripe_client.v1.customers.create({"name": "x"}, options)  # type: ignore[arg-type]

    assert [c.id for c in stripe_client.v1.customers.list().data] == [again.id]


def test_fail_next_over_http(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    response = LOOPBACK.post(
        f"{stripe_server.url}/_test/fail_next", json={"status": 429, "count": 1}
    )
    assert response.status_code == 200

    with pytest.raises(stripe.RateLimitError):
        stripe_client.v1.customers.list()


def test_missing_or_foreign_api_key_is_refused(stripe_server: StripeTestServer) -> None:
    anonymous = LOOPBACK.get(f"{stripe_server.url}/v1/customers")
    live = LOOPBACK.get(
        f"{stripe_server.url}/v1/customers", headers={"Authorization": "Bearer sk_live_x"}
    )

    assert anonymous.status_code == 401 and live.status_code == 401
    assert anonymous.json()["error"]["type"] == "invalid_request_error"


def test_unknown_url_is_a_404_in_stripe_shape(stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_client.raw_request("get", "/v1/nothing_here")

    assert error.value.http_status == 404
    body = error.value.json_body
    assert body is not None and set(body["error"]) >= {"type", "code", "message", "param"}


def test_missing_object_is_resource_missing(stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_client.v1.subscriptions.retrieve("sub_missing")

    assert (error.value.http_status, error.value.code) == (404, "resource_missing")
    assert error.value.param == "id"


def test_requests_beyond_the_accounts_rate_limit_are_answered_429() -> None:
    import stripe as stripe_sdk

    from tests.stripe_server.server import StripeTestServer

    with StripeTestServer() as server:
        server.api.rate_limit = 5
        client = stripe_sdk.StripeClient(
            "sk_test_limited", base_addresses={"api": server.url}, max_network_retries=0
        )
        answers = []
        for _ in range(8):
            try:
                client.v1.customers.list()
                answers.append(200)
            except stripe_sdk.RateLimitError:
                answers.append(429)
        assert answers.count(429) >= 2
        assert answers[:5] == [200] * 5
        other = stripe_sdk.StripeClient(
            "sk_test_other_account", base_addresses={"api": server.url}, max_network_retries=0
        )
        assert other.v1.customers.list().data == []


def test_a_request_cut_off_mid_body_is_not_carried_out() -> None:
    import socket

    import stripe as stripe_sdk

    from tests.stripe_server.server import StripeTestServer

    with StripeTestServer() as server:
        host, port = server.url.removeprefix("http://").split(":")
        body = b"name=Half+a+request&metadata[x]=y"
        head = (
            "POST /v1/customers HTTP/1.1\r\n"
            f"Host: {host}\r\n"
            "Authorization: Bearer sk_test_cut\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            "Idempotency-Key: cut-off\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        with socket.create_connection((host, int(port))) as connection:
            connection.sendall(head + body[:10])
        client = stripe_sdk.StripeClient(
            "sk_test_cut", base_addresses={"api": server.url}, max_network_retries=0
        )
        assert client.v1.customers.list().data == []
        made = client.v1.customers.create(
            {"name": "Whole request", "metadata": {"x": "y"}},
            {"idempotency_key": "cut-off"},
        )
        assert made.name == "Whole request"
