"""The service on a real port, so the Stripe test server can POST its signed events."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.billing.client import set_gateway
from app.config import Settings, set_settings
from app.main import create_app
from app.models import Environment
from tests.billing.conftest import billing_settings, catalog
from tests.conftest import GraphQL, issue_key
from tests.loopback import tls
from tests.stripe_server.fixtures import stripe_client, stripe_server
from tests.stripe_server.server import StripeTestServer
from tests.webhooks.deliveries import OLD_SECRET
from tests.webhooks.deliveries import SECRET as ENDPOINT_SECRET
from workers.broker import build_broker

__all__ = ["billing_settings", "catalog", "stripe_client", "stripe_server"]

SECRET = "whsec_test_webhooks_secret"


@dataclass
class Live:
    url: str
    api: GraphQL


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def broker(billing_settings: Settings) -> Iterator[None]:
    """The broker the billing jobs enqueue to, for tests that run handlers in process."""
    built = build_broker(billing_settings)
    yield
    built.close()


@pytest.fixture
def client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    """The service in process, signing secrets set (the second one being rotated out)."""
    chosen = settings.model_copy(
        update={"stripe_webhook_secret": f"{ENDPOINT_SECRET},{OLD_SECRET}"}
    )
    set_settings(chosen)
    with TestClient(create_app(chosen)) as test_client:
        yield test_client


@pytest.fixture
def live(
    engine: Engine,
    billing_settings: Settings,
    environment: Environment,
    catalog: None,
    stripe_server: StripeTestServer,
) -> Iterator[Live]:
    chosen = billing_settings.model_copy(
        update={
            "stripe_webhook_secret": SECRET,
            "scheduler_interval_seconds": 0,
            "reconcile_interval_seconds": 0,
        }
    )
    set_settings(chosen)
    set_gateway(None)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(chosen), host="127.0.0.1", port=port, log_config=None, lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    stripe_server.configure_webhooks(f"{url}/webhooks/stripe", SECRET)
    key = issue_key(engine, environment.name)
    with httpx.Client(base_url=url, verify=tls()) as client:
        yield Live(url, GraphQL(client, key))  # type: ignore[arg-type]
    server.should_exit = True
    thread.join(timeout=15)
