"""Requests no client should send are answered with a 4xx in the GraphQL error shape,
with a code, never a 500 or plain text."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

QUERY = '{"query": "query { getCustomerByRefId(input: {customerId: \\"c\\"}) { customerId } }"}'


def _post(client: TestClient, api_key: str, body: bytes) -> tuple[int, dict[str, object]]:
    response = client.post(
        "/graphql",
        content=body,
        headers={"X-API-KEY": api_key, "content-type": "application/json"},
    )
    return response.status_code, response.json()


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b'{"query": "{ __typename }", "variables": ' + b"[" * 3000 + b"]" * 3000 + b"}", "deep"),
        (b'{"query": "{ __typename }", "x": "\xff\xfe"}', "UTF-8"),
        (b'{"query": "{ __typename }", "variables": {"n": ' + b"9" * 5000 + b"}}", "number"),
        (b'{"query": "{ __typename }", "variables": {"s": "a\\u0000b"}}', "NUL"),
    ],
)
def test_unusable_body_is_a_bad_request_with_a_code(
    client: TestClient, api_key: str, body: bytes, words: str
) -> None:
    status, answer = _post(client, api_key, body)
    assert status == 400, answer
    errors = answer["errors"]
    assert isinstance(errors, list)
    assert errors[0]["extensions"]["code"] == "BAD_REQUEST"
    assert words in errors[0]["message"]


def test_nul_in_an_id_is_refused_not_an_internal_error(client: TestClient, api_key: str) -> None:
    body = (
        b'{"query": "query($id: String!) { getCustomerByRefId(input: {customerId: $id}) '
        b'{ customerId } }", "variables": {"id": "c\\u0000"}}'
    )
    status, answer = _post(client, api_key, body)
    assert status == 400, answer


def test_websocket_upgrade_is_refused_cleanly(client: TestClient) -> None:
    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            ws.receive_text()
