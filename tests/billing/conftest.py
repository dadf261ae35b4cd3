"""Billing tests: the service configured against the Stripe test server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe
from dramatiq.brokers.stub import StubBroker
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from app import db, jobs
from app.billing.client import set_gateway
from app.config import Settings, set_settings
from app.main import create_app
from app.models import Environment, OutboxMessage
from tests.conftest import GraphQL, issue_key
from tests.stripe_server.fixtures import TEST_API_KEY, stripe_client, stripe_server
from tests.stripe_server.server import StripeTestServer
from tests.subscriptions.factories import apply, catalog_data

__all__ = ["stripe_client", "stripe_server"]


@pytest.fixture
def billing_settings(settings: Settings, stripe_server: StripeTestServer) -> Iterator[Settings]:
    chosen = settings.model_copy(
        update={
            "stripe_api_key": TEST_API_KEY,
            "stripe_api_base": stripe_server.url,
            "stripe_max_network_retries": 0,
            # The test server has no limit; the limiter itself is tested on its own.
            "stripe_rate_limit": 100,
            "secret_key": "test-secret-for-sealing",
            "job_result_timeout_seconds": 10.0,
            "checkout_success_url": "https://app.example.com/billing/success",
            "checkout_cancel_url": "https://app.example.com/billing/cancel",
        }
    )
    set_settings(chosen)
    set_gateway(None)
    yield chosen
    set_gateway(None)
    set_settings(settings)


@pytest.fixture
def catalog(session: Session, environment: Environment, billing_settings: Settings) -> None:
    apply(session, environment, catalog_data())


@pytest.fixture
def billing_api(
    engine: Engine, billing_settings: Settings, environment: Environment, catalog: None
) -> Iterator[GraphQL]:
    """GraphQL with its in-process worker, billing integrated with the test server."""
    key = issue_key(engine, environment.name)
    with TestClient(create_app(billing_settings)) as client:
        yield GraphQL(client, key)


def jobs_done(api: GraphQL) -> None:
    """Wait until the in-process worker has run every job enqueued so far (and the
    outbox holds none still to send), so that what a call would do has been done."""
    broker = api.client.app.state.broker
    assert isinstance(broker, StubBroker)
    for queue in broker.get_declared_queues():
        broker.join(queue, timeout=10_000)
    jobs.forget_sent_now()
    with Session(db.get_engine()) as session:
        assert session.exec(select(func.count()).select_from(OutboxMessage)).one() == 0


def remote(client: stripe.StripeClient) -> dict[str, int]:
    """How many of each object the Stripe test server holds."""
    return {
        "customers": len(client.v1.customers.list({"limit": 100}).data),
        "subscriptions": len(client.v1.subscriptions.list({"limit": 100, "status": "all"}).data),
    }


@pytest.fixture
def redis_billing_api(
    engine: Engine, billing_settings: Settings, environment: Environment, catalog: None
) -> Iterator[GraphQL]:
    """The same, but jobs travel through the real Redis broker and results backend."""
    import redis

    from tests.conftest import TEST_REDIS_URL, require_service

    try:
        redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    except redis.RedisError as exc:
        require_service("Redis", exc)
    chosen = billing_settings.model_copy(update={"redis_url": TEST_REDIS_URL})
    set_settings(chosen)
    set_gateway(None)
    key = issue_key(engine, environment.name)
    with TestClient(create_app(chosen, embedded_worker=True)) as client:
        yield GraphQL(client, key)


def card_on_file(session: Session, customer_id: str) -> None:
    """Give the customer a card as the API does, and run the job that takes it to Stripe."""
    from app.billing import state
    from app.billing.customers import sync_customer
    from app.customers.schemas import BillingInformation
    from app.models import Customer

    info = BillingInformation(paymentMethodId="pm_card_visa")
    row = session.get(Customer, customer_id)
    assert row is not None
    message = state.request_customer_sync(session, row, info)
    session.commit()
    sync_customer(customer_id, info, generation=message.kwargs["generation"])
    session.expire_all()
