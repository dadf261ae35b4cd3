"""Requests no client should send are answered with a 4xx in the GraphQL error shape,
with a code, never a 500 or plain text."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.conftest import GraphQL

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
        (b"null", "JSON object"),
        (b'"{ __typename }"', "JSON object"),
        (b"5", "JSON object"),
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


PROVISION = """
mutation($input: ProvisionSubscriptionInput!) {
  provisionSubscriptionV2(input: $input) { status subscription { refId } }
}"""
PROVISION_CUSTOMER = """
mutation($input: ProvisionCustomerInput!) { provisionCustomer(input: $input) { customer { id } } }
"""


@pytest.fixture
def held(gql: GraphQL, catalog_applied: None) -> str:
    """A customer holding a subscription with the refId "held"."""
    gql(PROVISION_CUSTOMER, {"input": {"customerId": "h-1"}})
    subscription = {"customerId": "h-1", "planId": "plan-revvenu-free", "refId": "held"}
    gql(PROVISION, {"input": subscription})
    return "held"


def test_a_long_ref_id_replacing_a_subscription_is_stored(gql: GraphQL, held: str) -> None:
    ref = "r" * 255
    subscription = {"customerId": "h-1", "planId": "plan-revvenu-free", "refId": ref}
    answer = gql(PROVISION, {"input": subscription})["provisionSubscriptionV2"]
    assert answer["subscription"]["refId"] == ref


def test_a_taken_ref_id_is_refused_by_name(gql: GraphQL, held: str) -> None:
    subscription = {"customerId": "h-1", "planId": "plan-revvenu-free", "refId": held}
    error = gql.error(PROVISION, {"input": subscription})
    assert error["extensions"]["code"] == "SUBSCRIPTION_REF_ID_TAKEN"
    assert error["extensions"]["field"] == "input.refId"


@pytest.mark.parametrize("start", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"])
def test_a_start_date_out_of_range_is_refused(gql: GraphQL, held: str, start: str) -> None:
    subscription = {"customerId": "h-1", "planId": "plan-revvenu-free", "startDate": start}
    error = gql.error(PROVISION, {"input": subscription})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "between 2000 and 2100" in error["message"]


def _nested(depth: int) -> dict[str, object]:
    value: dict[str, object] = {"leaf": 1}
    for _ in range(depth):
        value = {"k": value}
    return value


@pytest.mark.parametrize(
    ("metadata", "words"),
    [
        ({f"k{i}": "v" for i in range(51)}, "keys"),
        ({"big": "x" * 501}, "longer than"),
        (_nested(500), "deeper"),
    ],
)
def test_subscription_metadata_is_held_to_the_customer_limits(
    gql: GraphQL, held: str, metadata: dict[str, object], words: str
) -> None:
    subscription = {
        "customerId": "h-1",
        "planId": "plan-revvenu-free",
        "additionalMetaData": metadata,
    }
    error = gql.error(PROVISION, {"input": subscription})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert words in error["message"]
    update = {"subscriptionId": held, "additionalMetaData": metadata}
    updating = gql.error(
        "mutation($input: UpdateSubscriptionInput!) { updateOneSubscription(input: $input) "
        "{ refId } }",
        {"input": update},
    )
    assert words in updating["message"]


def test_more_than_twenty_customer_tax_ids_are_refused(gql: GraphQL) -> None:
    tax_ids = [{"type": "eu_vat", "value": f"DE{123456780 + n}"} for n in range(21)]
    customer = {"customerId": "t-1", "billingInformation": {"taxIds": tax_ids}}
    error = gql.error(PROVISION_CUSTOMER, {"input": customer})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "taxIds" in error["extensions"]["field"]


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_a_method_graphql_does_not_serve_is_answered_with_a_code(
    client: TestClient, api_key: str, method: str
) -> None:
    response = client.request(method, "/graphql", headers={"X-API-KEY": api_key})
    assert response.status_code == 405
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
