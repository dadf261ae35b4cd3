import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import stripe

from tests.stripe_server.factories import DAY, WebhookReceiver, customer, price, subscription

REPO = Path(__file__).resolve().parents[2]
SECRET = "whsec_standalone"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    endpoint = WebhookReceiver()
    yield endpoint
    endpoint.close()


@pytest.fixture
def standalone(receiver: WebhookReceiver) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.stripe_server",
            "--port",
            str(port),
            "--webhook-url",
            receiver.url,
            "--webhook-secret",
            SECRET,
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                httpx.get(f"{url}/_test/clock", timeout=0.2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_standalone_server_takes_test_controls_over_http(
    standalone: str, receiver: WebhookReceiver
) -> None:
    client = stripe.StripeClient("sk_test_any", base_addresses={"api": standalone})
    sub = subscription(client, customer(client).id, price(client).id)
    end = sub["items"].data[0].current_period_end

    queued = httpx.post(f"{standalone}/_test/next_payment", json={"outcome": "fail"})
    now = httpx.get(f"{standalone}/_test/clock").json()["now"]
    moved = httpx.post(f"{standalone}/_test/advance_time", json={"seconds": end - now + DAY})

    assert queued.json() == {"queued": ["fail"]}
    assert moved.json()["now"] >= end
    assert client.v1.subscriptions.retrieve(sub.id).status == "past_due"
    deadline = time.monotonic() + 5
    while not any(b"invoice.payment_failed" in r.body for r in receiver.received):
        assert time.monotonic() < deadline, "no invoice.payment_failed delivery"
        time.sleep(0.05)
    delivery = next(r for r in receiver.received if b"invoice.payment_failed" in r.body)
    stripe.Webhook.construct_event(delivery.body, delivery.headers["stripe-signature"], SECRET)


def test_bad_control_input_is_a_400(standalone: str) -> None:
    response = httpx.post(f"{standalone}/_test/next_payment", json={"outcome": "maybe"})

    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
