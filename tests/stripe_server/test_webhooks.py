import json
from collections.abc import Iterator

import pytest
import stripe

from tests.loopback import LOOPBACK
from tests.stripe_server import StripeTestServer
from tests.stripe_server.factories import WebhookReceiver, customer, price, subscription
from tests.stripe_server.fixtures import TEST_API_KEY

SECRET = "whsec_test_secret"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    endpoint = WebhookReceiver()
    yield endpoint
    endpoint.close()


@pytest.fixture
def server(receiver: WebhookReceiver) -> Iterator[StripeTestServer]:
    with StripeTestServer(webhook_url=receiver.url, webhook_secret=SECRET) as running:
        yield running


@pytest.fixture
def client(server: StripeTestServer) -> stripe.StripeClient:
    return stripe.StripeClient(
        TEST_API_KEY, base_addresses={"api": server.url}, max_network_retries=0
    )


def _types(receiver: WebhookReceiver) -> list[str]:
    return [json.loads(r.body)["type"] for r in receiver.received]


def test_deliveries_verify_with_the_sdk(
    server: StripeTestServer, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    created = client.v1.customers.create({"email": "a@example.com"})
    assert server.wait_for_webhooks()

    delivery = receiver.received[0]
    event = stripe.Webhook.construct_event(
        delivery.body, delivery.headers["stripe-signature"], SECRET
    )

    assert event.type == "customer.created"
    assert event.data.object["id"] == created.id
    assert event.livemode is False and event.api_version
    assert event.request is not None and event.request.id is not None
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            delivery.body, delivery.headers["stripe-signature"], "whsec_x"
        )


def test_subscription_flow_sends_its_events_in_order(
    server: StripeTestServer, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    subscription(client, customer(client).id, price(client).id)
    assert server.wait_for_webhooks()

    assert _types(receiver) == [e["type"] for e in server.events()]
    assert _types(receiver)[-8:] == [
        "customer.subscription.created",
        "invoice.created",
        "payment_intent.created",
        "invoice.finalized",
        "payment_intent.succeeded",
        "invoice.paid",
        "invoice.payment_succeeded",
        "customer.subscription.updated",
    ]
    updated = json.loads(receiver.received[-1].body)
    assert updated["type"] == "customer.subscription.updated"
    assert updated["data"]["previous_attributes"] == {"status": "incomplete"}


def test_held_events_are_released_reversed_with_duplicates(
    server: StripeTestServer, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    server.set_webhook_mode("hold")
    client.v1.customers.create({"name": "one"})
    client.v1.customers.create({"name": "two"})
    assert receiver.received == []

    released = server.release_webhooks("reverse", duplicates=True)
    assert server.wait_for_webhooks()

    names = [json.loads(r.body)["data"]["object"]["name"] for r in receiver.received]
    assert released == 4
    assert names == ["two", "two", "one", "one"]


def test_dropped_events_are_still_listed(
    server: StripeTestServer, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    LOOPBACK.post(f"{server.url}/_test/webhooks", json={"mode": "drop"})

    created = client.v1.customers.create({"name": "lost"})
    assert server.wait_for_webhooks()

    assert receiver.received == []
    listed = client.v1.events.list({"type": "customer.created"})
    assert [e.data.object["id"] for e in listed.data] == [created.id]


def test_release_over_http_shuffles_held_events(
    server: StripeTestServer, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    LOOPBACK.post(f"{server.url}/_test/webhooks", json={"mode": "hold"})
    for index in range(5):
        client.v1.customers.create({"name": str(index)})

    response = LOOPBACK.post(
        f"{server.url}/_test/webhooks/release", json={"order": "shuffle", "seed": 3}
    )
    assert server.wait_for_webhooks()

    assert response.json() == {"released": 5}
    names = sorted(json.loads(r.body)["data"]["object"]["name"] for r in receiver.received)
    assert names == ["0", "1", "2", "3", "4"]


def test_failed_delivery_is_retried_and_recorded(
    server: StripeTestServer, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    receiver.status = 500

    client.v1.customers.create({"name": "x"})
    assert server.wait_for_webhooks()

    assert len(receiver.received) == 4
    assert server.deliveries[0]["status"] == 500 and server.deliveries[0]["attempts"] == 4


def test_events_are_listed_newest_first_and_retrievable(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    created = customer(stripe_client)

    listed = stripe_client.v1.events.list({"types": ["customer.*", "payment_method.attached"]})
    event = stripe_client.v1.events.retrieve(listed.data[-1].id)

    assert [e.type for e in listed.data] == ["payment_method.attached", "customer.created"]
    assert event.type == "customer.created"
    assert event.data.object["id"] == created.id
    assert event.pending_webhooks == 0
