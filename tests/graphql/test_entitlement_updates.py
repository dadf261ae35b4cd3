"""entitlementsUpdated: the push channel SDKs keep their entitlement cache fresh with."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from tests.conftest import GraphQL

SUBSCRIBE = """
subscription($input: EntitlementsUpdatedInput!) {
  entitlementsUpdated(input: $input) {
    customerId resourceId
    entitlements { feature { refId } isGranted currentUsage usageLimit }
  }
}"""
PROVISION = """
mutation($input: ProvisionCustomerInput!) { provisionCustomer(input: $input) { customer { id } } }
"""
REPORT = """
mutation($input: ReportUsageInput!) { reportUsage(input: $input) { currentUsage } }
"""
GRANT = """
mutation($input: GrantPromotionalEntitlementsInput!) {
  grantPromotionalEntitlements(input: $input) { featureId }
}"""


def _connect(ws: WebSocketTestSession, payload: dict[str, Any] | None = None) -> None:
    ws.send_json({"type": "connection_init", "payload": payload or {}})
    assert ws.receive_json()["type"] == "connection_ack"


def _subscribe(ws: WebSocketTestSession, customer: str, resource: str | None = None) -> None:
    variables = {"input": {"customerId": customer, "resourceId": resource}}
    ws.send_json(
        {"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE, "variables": variables}}
    )


def _next(ws: WebSocketTestSession) -> dict[str, Any]:
    message = ws.receive_json()
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    update: dict[str, Any] = message["payload"]["data"]["entitlementsUpdated"]
    return update


def _usage(update: dict[str, Any], feature: str) -> Any:
    found = [e for e in update["entitlements"] if e["feature"]["refId"] == feature]
    return found[0]["currentUsage"] if found else None


@pytest.fixture
def subscribed(gql: GraphQL, catalog_applied: None) -> str:
    subscription = {"planId": "plan-revvenu-free"}
    gql(PROVISION, {"input": {"customerId": "push-1", "subscriptionParams": subscription}})
    return "push-1"


def _refused(client: TestClient, headers: dict[str, str]) -> int:
    """The close code of a connection_init sent with these upgrade headers."""
    with client.websocket_connect(
        "/graphql", subprotocols=["graphql-transport-ws"], headers=headers
    ) as ws:
        ws.send_json({"type": "connection_init", "payload": {}})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    return closed.value.code


def test_a_websocket_without_an_api_key_is_refused(client: TestClient) -> None:
    assert _refused(client, {}) == 4403


def test_a_websocket_with_a_wrong_api_key_is_refused(client: TestClient) -> None:
    assert _refused(client, {"X-API-KEY": "bsk_no"}) == 4403


def test_the_first_message_is_the_customers_entitlements_now(
    client: TestClient, api_key: str, subscribed: str
) -> None:
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        _connect(ws, {"X-API-KEY": api_key})
        _subscribe(ws, subscribed)
        first = _next(ws)
    assert first["customerId"] == subscribed
    assert _usage(first, "feature-01-templates") == 0


def test_reported_usage_is_pushed(
    client: TestClient, gql: GraphQL, api_key: str, subscribed: str
) -> None:
    headers = {"X-API-KEY": api_key}
    with client.websocket_connect(
        "/graphql", subprotocols=["graphql-transport-ws"], headers=headers
    ) as ws:
        _connect(ws)
        _subscribe(ws, subscribed)
        _next(ws)
        report = {"customerId": subscribed, "featureId": "feature-01-templates", "value": 2}
        gql(REPORT, {"input": report})
        assert _usage(_next(ws), "feature-01-templates") == 2


def test_a_promotion_granted_is_pushed(
    client: TestClient, gql: GraphQL, api_key: str, subscribed: str
) -> None:
    headers = {"X-API-KEY": api_key}
    with client.websocket_connect(
        "/graphql", subprotocols=["graphql-transport-ws"], headers=headers
    ) as ws:
        _connect(ws)
        _subscribe(ws, subscribed)
        assert _usage(_next(ws), "feature-03-custom-domain") is None
        grant = {"featureId": "feature-03-custom-domain", "period": "ONE_MONTH"}
        gql(GRANT, {"input": {"customerId": subscribed, "promotionalEntitlements": [grant]}})
        features = {e["feature"]["refId"] for e in _next(ws)["entitlements"]}
    assert "feature-03-custom-domain" in features


def test_a_customer_provisioned_after_subscribing_is_pushed(
    client: TestClient, gql: GraphQL, api_key: str, catalog_applied: None
) -> None:
    headers = {"X-API-KEY": api_key}
    with client.websocket_connect(
        "/graphql", subprotocols=["graphql-transport-ws"], headers=headers
    ) as ws:
        _connect(ws)
        _subscribe(ws, "push-later")
        assert _next(ws)["entitlements"] == []
        subscription = {"planId": "plan-revvenu-free"}
        gql(PROVISION, {"input": {"customerId": "push-later", "subscriptionParams": subscription}})
        assert _next(ws)["entitlements"]
