"""Environments with Stripe accounts of their own: their keys stored encrypted, every
Stripe call of theirs made with their own key, their webhooks told apart by secret."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from app.billing.crypto import SecretKeyRequired
from app.billing.sweep import accounts
from app.config import Settings, set_settings
from app.environments import service as environments
from app.models import Environment
from tests.billing.test_sync import eventually
from tests.conftest import GraphQL, issue_key
from tests.stripe_server.server import StripeTestServer
from tests.stripe_server.webhooks import sign
from tests.subscriptions.factories import apply, catalog_data

OWN_KEY = "sk_test_production_own_account"
OWN_SECRET = "whsec_production_own_secret"
PROVISION_CUSTOMER = """
mutation($input: ProvisionCustomerInput!) {
  provisionCustomer(input: $input) { customer { customerId } }
}"""
GET_CUSTOMER = """
query($id: String!) { getCustomerByRefId(input: {customerId: $id}) { billingId hasPaymentMethod } }
"""


@pytest.fixture
def own_account(
    session: Session, other_environment: Environment, billing_settings: Settings
) -> Environment:
    apply(session, other_environment, catalog_data())
    environments.set_stripe_credentials(session, other_environment.name, OWN_KEY, [OWN_SECRET])
    session.commit()
    return other_environment


def test_credentials_are_stored_encrypted(engine: Engine, own_account: Environment) -> None:
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT stripe_api_key_sealed, stripe_webhook_secrets_sealed FROM environment")
        ).all()
    dumped = json.dumps([list(row) for row in stored])
    assert OWN_KEY not in dumped and OWN_SECRET not in dumped
    assert environments.stripe_api_key(own_account) == OWN_KEY
    assert environments.webhook_secrets(own_account) == [OWN_SECRET]


def test_credentials_cannot_be_stored_without_a_secret_key(
    session: Session, other_environment: Environment, billing_settings: Settings
) -> None:
    set_settings(billing_settings.model_copy(update={"secret_key": None}))
    with pytest.raises(SecretKeyRequired):
        environments.set_stripe_credentials(session, other_environment.name, OWN_KEY, [])


def test_each_environment_is_synced_with_its_own_account(
    engine: Engine,
    billing_api: GraphQL,
    own_account: Environment,
    stripe_server: StripeTestServer,
) -> None:
    other = GraphQL(billing_api.client, issue_key(engine, own_account.name))
    card = {"paymentMethodId": "pm_card_visa"}
    for api, name in ((billing_api, "default-customer"), (other, "own-customer")):
        api(PROVISION_CUSTOMER, {"input": {"customerId": name, "billingInformation": card}})
        assert eventually(
            lambda a=api, n=name: a(GET_CUSTOMER, {"id": n})["getCustomerByRefId"][
                "hasPaymentMethod"
            ]
        )
    own_id = other(GET_CUSTOMER, {"id": "own-customer"})["getCustomerByRefId"]["billingId"]
    default_id = billing_api(GET_CUSTOMER, {"id": "default-customer"})["getCustomerByRefId"][
        "billingId"
    ]
    by_account: dict[str, set[str]] = {}
    for request in stripe_server.api.requests:
        by_account.setdefault(request["account"], set()).add(request["path"])
    assert any(own_id in path for path in by_account[OWN_KEY])
    assert not any(own_id in path for path in by_account["sk_test_stripe_server"])
    assert not any(default_id in path for path in by_account[OWN_KEY])


def test_webhooks_signed_with_an_environments_secret_are_its_own(
    session: Session,
    billing_api: GraphQL,
    own_account: Environment,
) -> None:
    payload = json.dumps(
        {
            "id": "evt_own_account_1",
            "object": "event",
            "type": "customer.updated",
            "created": int(time.time()),
            "data": {"object": {"id": "cus_unknown", "object": "customer"}},
        }
    ).encode()
    headers = {"Stripe-Signature": sign(payload, OWN_SECRET, int(time.time()))}
    answer = billing_api.client.post("/webhooks/stripe", content=payload, headers=headers)
    assert answer.status_code == 200, answer.text
    stored = session.execute(
        text("SELECT account_environment_id FROM webhook_event WHERE stripe_event_id = :i"),
        {"i": "evt_own_account_1"},
    ).scalar_one()
    assert stored == own_account.id
    forged = billing_api.client.post(
        "/webhooks/stripe",
        content=payload,
        headers={"Stripe-Signature": sign(payload, "whsec_someone_else", int(time.time()))},
    )
    assert forged.status_code == 400


def test_the_sweep_scans_each_account_for_its_own_environments(
    session: Session, environment: Environment, own_account: Environment
) -> None:
    found = accounts(session)
    assert found[own_account.id] == {own_account.id}
    assert found[None] == {environment.id}
