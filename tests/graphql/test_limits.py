"""Every request is bounded before any of it runs: a request past a limit is refused
with a code and stores nothing (README, "Limits")."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select
from starlette.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.models import Customer, Subscription
from tests.conftest import GraphQL

PROVISION_CUSTOMER = """
mutation($input: ProvisionCustomerInput!) { provisionCustomer(input: $input) { customer { id } } }
"""
PROVISION = """
mutation($input: ProvisionSubscriptionInput!) {
  provisionSubscriptionV2(input: $input) { status subscription { refId } }
}"""
COUPONS = """
query($filter: CouponFilter) { coupons(filter: $filter) { totalCount } }
"""


def counts(engine: Engine) -> tuple[int, int]:
    with Session(engine) as s:
        customers = s.exec(select(func.count()).select_from(Customer)).one()
        subscriptions = s.exec(select(func.count()).select_from(Subscription)).one()
        return customers, subscriptions


def code(error: dict[str, Any]) -> str:
    return str(error["extensions"]["code"])


@pytest.fixture
def customer(gql: GraphQL, catalog_applied: None) -> str:
    gql(PROVISION_CUSTOMER, {"input": {"customerId": "l-1"}})
    return "l-1"


def test_a_long_list_is_refused_by_name_before_any_work(
    gql: GraphQL, engine: Engine, customer: str
) -> None:
    features = [{"featureId": "feature-01-templates", "quantity": 1}] * 10_000
    subscription = {"customerId": customer, "planId": "plan-revvenu-free"}
    started = time.monotonic()
    error = gql.error(PROVISION, {"input": {**subscription, "billableFeatures": features}})
    assert time.monotonic() - started < 2
    assert code(error) == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "input.billableFeatures"
    assert "at most 100" in error["message"]
    assert counts(engine) == (1, 0)


def test_a_list_literal_in_the_document_is_bounded_too(gql: GraphQL, customer: str) -> None:
    items = ", ".join('{featureId: "f", quantity: 1}' for _ in range(101))
    query = (
        f'mutation {{ provisionSubscriptionV2(input: {{customerId: "{customer}", '
        f'planId: "plan-revvenu-free", billableFeatures: [{items}]}}) {{ status }} }}'
    )
    error = gql.error(query)
    assert error["extensions"]["field"] == "input.billableFeatures"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("planId", "p" * 256),
        ("promotionCode", "c" * 5001),
        ("resourceId", "r" * 256),
    ],
)
def test_an_over_long_string_is_refused_by_name(
    gql: GraphQL, engine: Engine, customer: str, field: str, value: str
) -> None:
    subscription = {"customerId": customer, "planId": "plan-revvenu-free", field: value}
    error = gql.error(PROVISION, {"input": subscription})
    assert code(error) == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == f"input.{field}"
    assert counts(engine) == (1, 0)


@pytest.mark.parametrize(
    "metadata",
    [
        pytest.param({"k": "a\ud800"}, id="unpaired-surrogate"),
        pytest.param({"k": float("nan")}, id="nan"),
        pytest.param({"k": float("inf")}, id="infinity"),
    ],
)
def test_metadata_no_database_stores_is_refused(
    client: TestClient, api_key: str, engine: Engine, metadata: dict[str, Any]
) -> None:
    body = {"query": PROVISION_CUSTOMER, "variables": {"input": {"customerId": "m-1"}}}
    body["variables"]["input"]["additionalMetaData"] = metadata  # type: ignore[index]
    response = client.post(
        "/graphql",
        content=json.dumps(body).encode(),
        headers={"X-API-KEY": api_key, "content-type": "application/json"},
    )
    assert response.status_code < 500
    error = response.json()["errors"][0]
    assert code(error) == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "input.additionalMetaData"
    assert counts(engine) == (0, 0)


def test_a_name_with_an_unpaired_surrogate_is_refused(
    client: TestClient, api_key: str, engine: Engine
) -> None:
    variables = {"input": {"customerId": "s-1", "name": "a\ud800"}}
    response = client.post(
        "/graphql",
        content=json.dumps({"query": PROVISION_CUSTOMER, "variables": variables}).encode(),
        headers={"X-API-KEY": api_key, "content-type": "application/json"},
    )
    error = response.json()["errors"][0]
    assert code(error) == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "input.name"
    assert counts(engine) == (0, 0)


def test_a_nul_in_a_get_request_is_refused(client: TestClient, api_key: str) -> None:
    query = "query($id: String!) { getCustomerByRefId(input: {customerId: $id}) { customerId } }"
    response = client.get(
        "/graphql",
        params={"query": query, "variables": json.dumps({"id": "c\x00"})},
        headers={"X-API-KEY": api_key},
    )
    assert response.status_code < 500
    error = response.json()["errors"][0]
    assert code(error) == "BAD_USER_INPUT"
    assert "NUL" in error["message"]


def _filter(depth: int) -> dict[str, Any]:
    nested: dict[str, Any] = {"refId": {"eq": "x"}}
    for _ in range(depth):
        nested = {"and": [nested]}
    return nested


def test_a_deeply_nested_input_is_refused(gql: GraphQL) -> None:
    error = gql.error(COUPONS, {"filter": _filter(50)})
    assert code(error) == "BAD_USER_INPUT"
    assert "deeper than" in error["message"]


def test_a_filter_nested_a_few_levels_is_answered(gql: GraphQL) -> None:
    assert gql(COUPONS, {"filter": _filter(3)})["coupons"]["totalCount"] == 0


def test_mutation_fields_per_request_are_bounded(gql: GraphQL, engine: Engine) -> None:
    fields = " ".join(
        f'c{n}: provisionCustomer(input: {{customerId: "many-{n}"}}) {{ customer {{ id }} }}'
        for n in range(21)
    )
    error = gql.error(f"mutation {{ {fields} }}")
    assert code(error) == "QUERY_TOO_COMPLEX"
    assert "at most 20 mutation fields" in error["message"]
    assert counts(engine) == (0, 0)


def test_a_thousand_mutation_aliases_are_refused_not_an_internal_error(
    gql: GraphQL, engine: Engine
) -> None:
    fields = " ".join(
        f'c{n}: archiveCustomer(input: {{customerId: "x"}}) {{ customerId }}' for n in range(1000)
    )
    error = gql.error(f"mutation {{ {fields} }}")
    assert code(error) == "QUERY_TOO_COMPLEX"


def test_aliases_are_bounded(gql: GraphQL) -> None:
    fields = " ".join(f"a{n}: __typename" for n in range(31))
    error = gql.error(f"query {{ {fields} }}")
    assert code(error) == "QUERY_TOO_COMPLEX"
    assert "aliases" in error["message"]


def test_depth_is_bounded(gql: GraphQL) -> None:
    query = "query { a " + "{ a " * 11 + "}" * 11 + " }"
    response = gql.post(query)
    assert response.status_code < 500
    codes = [code(e) for e in response.json()["errors"]]
    assert "QUERY_TOO_COMPLEX" in codes


def test_tokens_are_bounded(gql: GraphQL) -> None:
    query = "query { __typename " + "__typename " * 10_000 + "}"
    error = gql.error(query)
    assert code(error) == "QUERY_TOO_COMPLEX"
    assert "tokens" in error["message"]


def test_a_document_nested_too_deep_to_parse_is_refused(gql: GraphQL) -> None:
    literal = "{a: " * 1500 + "1" + "}" * 1500
    error = gql.error(f'query {{ getCustomerByRefId(input: {{customerId: "x", z: {literal}}}) }}')
    assert code(error) == "QUERY_TOO_COMPLEX"


def test_a_body_declared_too_large_is_refused_before_it_is_read(
    client: TestClient, api_key: str
) -> None:
    body = b'{"query": "{ __typename }", "pad": "' + b"x" * 1_100_000 + b'"}'
    response = client.post(
        "/graphql",
        content=body,
        headers={"X-API-KEY": api_key, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert code(response.json()["errors"][0]) == "REQUEST_TOO_LARGE"


def test_a_body_without_a_length_is_counted_while_it_is_read(
    client: TestClient, api_key: str
) -> None:
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        yield b'{"query": "{ __typename }", "pad": "'
        for _ in range(100):
            sent += 1
            yield b"x" * 65_536
        yield b'"}'

    response = client.post(
        "/graphql",
        content=chunks(),
        headers={"X-API-KEY": api_key, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert code(response.json()["errors"][0]) == "REQUEST_TOO_LARGE"


def test_a_body_under_the_limit_is_served(gql: GraphQL) -> None:
    assert gql("query { __typename }") == {"__typename": "Query"}


ESTIMATE = """
mutation($input: EstimateSubscriptionInput!) {
  estimateSubscription(input: $input) { total { amount } }
}"""
ESTIMATE_UPDATE = """
mutation($input: EstimateSubscriptionUpdateInput!) {
  estimateSubscriptionUpdate(input: $input) { total { amount } }
}"""
GRANT = """
mutation($input: GrantPromotionalEntitlementsInput!) {
  grantPromotionalEntitlements(input: $input) { id }
}"""


@pytest.fixture
def subscribed(gql: GraphQL, customer: str) -> str:
    subscription = {"customerId": customer, "planId": "plan-revvenu-free", "refId": "l-sub"}
    gql(PROVISION, {"input": subscription})
    return "l-sub"


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"])
def test_every_date_lies_between_2000_and_2100(
    gql: GraphQL, engine: Engine, subscribed: str, customer: str, moment: str
) -> None:
    before = counts(engine)
    sent = [
        (ESTIMATE, {"customerId": customer, "planId": "plan-revvenu-free", "startDate": moment}),
        (ESTIMATE_UPDATE, {"subscriptionId": subscribed, "prorationDate": moment}),
        (
            GRANT,
            {
                "customerId": customer,
                "promotionalEntitlements": [
                    {
                        "featureId": "feature-03-custom-domain",
                        "period": "CUSTOM",
                        "customEndDate": moment,
                    }
                ],
            },
        ),
    ]
    for query, value in sent:
        error = gql.error(query, {"input": value})
        assert code(error) == "BAD_USER_INPUT", error
        assert "between 2000 and 2100" in error["message"], error
    assert counts(engine) == before


def test_the_bounds_come_from_the_configuration(
    engine: Engine, settings: Settings, api_key: str, catalog_applied: None
) -> None:
    tight = settings.model_copy(
        update={"max_list_items": 2, "graphql_max_aliases": 1, "max_request_bytes": 2048}
    )
    with TestClient(create_app(tight)) as client:
        gql = GraphQL(client, api_key)
        gql(PROVISION_CUSTOMER, {"input": {"customerId": "t-1"}})
        addons = [{"addonId": "addon-10-campaigns", "quantity": 1}] * 3
        subscription = {"customerId": "t-1", "planId": "plan-revvenu-free", "addons": addons}
        listed = gql.error(PROVISION, {"input": subscription})
        assert "at most 2 items" in listed["message"]
        aliased = gql.error("{ a: __typename b: __typename }")
        assert code(aliased) == "QUERY_TOO_COMPLEX"
        large = gql.post("{ __typename }", {"pad": "x" * 3000})
        assert large.status_code == 413
