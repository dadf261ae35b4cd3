"""Customers over GraphQL: behaviour and every kind of bad input."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.models import Customer
from tests.conftest import GraphQL

PROVISION = """
mutation($input: ProvisionCustomerInput!) {
  provisionCustomer(input: $input) {
    customer { customerId name email crmId additionalMetaData coupon { refId } }
    subscriptionDecisionStrategy
  }
}"""
UPDATE = """
mutation($input: UpdateCustomerInput!) {
  updateOneCustomer(input: $input) { customerId name email additionalMetaData coupon { refId } }
}"""
GET = """
query($input: GetCustomerByRefIdInput!) {
  getCustomerByRefId(input: $input) { customerId name email }
}"""
ARCHIVE = "mutation($id: String!) { archiveCustomer(input: {customerId: $id}) { customerId } }"
UNARCHIVE = (
    "mutation($id: String!) { unarchiveCustomer(input: {customerId: $id}) { customerId name } }"
)


def provision(gql: GraphQL, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = gql(PROVISION, {"input": fields})["provisionCustomer"]
    return data


def stored(engine: Engine) -> list[tuple[Any, ...]]:
    with Session(engine) as s:
        rows = s.exec(select(Customer).order_by(Customer.customer_id)).all()
        return [
            (
                r.environment_id,
                r.customer_id,
                r.name,
                r.email,
                r.additional_metadata,
                r.coupon_id,
                r.archived_at,
                r.updated_at,
            )
            for r in rows
        ]


def test_provision_without_subscription_params_skips_subscription(gql: GraphQL) -> None:
    result = provision(gql, customerId="c-1", name="Acme")
    assert result["subscriptionDecisionStrategy"] == "SKIPPED_SUBSCRIPTION_CREATION"
    assert result["customer"]["customerId"] == "c-1"


def test_provision_twice_updates_the_same_customer(gql: GraphQL, engine: Engine) -> None:
    provision(gql, customerId="c-1", name="Acme", email="a@acme.com")
    provision(gql, customerId="c-1", name="Acme Inc")
    rows = stored(engine)
    assert len(rows) == 1
    assert rows[0][2:4] == ("Acme Inc", "a@acme.com")


def test_ref_id_is_accepted_as_customer_id(gql: GraphQL) -> None:
    assert provision(gql, refId="c-ref")["customer"]["customerId"] == "c-ref"


def test_update_changes_only_the_fields_sent(gql: GraphQL) -> None:
    provision(gql, customerId="c-1", name="Acme", email="a@acme.com", crmId="crm-1")
    updated = gql(UPDATE, {"input": {"customerId": "c-1", "email": "b@acme.com"}})
    assert updated["updateOneCustomer"]["name"] == "Acme"
    assert updated["updateOneCustomer"]["email"] == "b@acme.com"


def test_update_with_null_clears_a_field(gql: GraphQL) -> None:
    provision(gql, customerId="c-1", name="Acme", email="a@acme.com")
    updated = gql(UPDATE, {"input": {"customerId": "c-1", "email": None}})
    assert updated["updateOneCustomer"]["email"] is None
    assert updated["updateOneCustomer"]["name"] == "Acme"


@pytest.mark.usefixtures("catalog_applied")
def test_coupon_ref_id_attaches_an_active_coupon(gql: GraphQL) -> None:
    result = provision(gql, customerId="c-1", couponRefId="coupon-id")
    assert result["customer"]["coupon"] == {"refId": "coupon-id"}


def test_archive_nulls_pii_and_hides_the_customer(gql: GraphQL, engine: Engine) -> None:
    provision(gql, customerId="c-1", name="Acme", email="a@acme.com")
    assert gql(ARCHIVE, {"id": "c-1"})["archiveCustomer"] == {"customerId": "c-1"}
    (row,) = stored(engine)
    assert row[2:4] == (None, None)
    assert row[6] is not None
    error = gql.error(GET, {"input": {"customerId": "c-1"}})
    assert error["extensions"]["code"] == "CUSTOMER_NOT_FOUND"


def test_archived_customer_id_cannot_be_provisioned_again(gql: GraphQL, engine: Engine) -> None:
    provision(gql, customerId="c-1", name="Acme")
    gql(ARCHIVE, {"id": "c-1"})
    before = stored(engine)
    error = gql.error(PROVISION, {"input": {"customerId": "c-1", "name": "Someone else"}})
    assert error["extensions"]["code"] == "CUSTOMER_ARCHIVED"
    assert "c-1" in error["message"]
    assert stored(engine) == before


def test_unarchive_makes_the_customer_visible_again(gql: GraphQL) -> None:
    provision(gql, customerId="c-1", name="Acme")
    gql(ARCHIVE, {"id": "c-1"})
    assert gql(UNARCHIVE, {"id": "c-1"})["unarchiveCustomer"] == {"customerId": "c-1", "name": None}
    assert gql(GET, {"input": {"customerId": "c-1"}})["getCustomerByRefId"]["customerId"] == "c-1"


def test_update_of_unknown_customer_is_not_found(gql: GraphQL) -> None:
    error = gql.error(UPDATE, {"input": {"customerId": "nobody", "name": "x"}})
    assert error["extensions"]["code"] == "CUSTOMER_NOT_FOUND"


def test_billing_information_is_not_stored(gql: GraphQL, engine: Engine) -> None:
    provision(
        gql,
        customerId="c-1",
        billingInformation={
            "billingAddress": {
                "country": "DK",
                "city": "Aarhus",
                "addressLine1": "Secret Street 1",
                "phoneNumber": "+45 12 34 56 78",
            },
            "taxIds": [{"type": "eu_vat", "value": "DK12345678"}],
        },
    )
    with engine.connect() as connection:
        dump = "\n".join(
            str(row)
            for table in ("customer",)
            for row in connection.exec_driver_sql(f"SELECT * FROM {table}")
        )
    for secret in ("Secret Street", "Aarhus", "12 34 56 78", "DK12345678"):
        assert secret not in dump


# Bad input: each gets a clear error with a code, no 500, and nothing stored changes.

BAD_INPUTS = [
    pytest.param({"customerId": ""}, "BAD_USER_INPUT", "customerId", id="empty-customer-id"),
    pytest.param({"customerId": "   "}, "BAD_USER_INPUT", "customerId", id="blank-customer-id"),
    pytest.param({}, "BAD_USER_INPUT", "customerId", id="missing-customer-id"),
    pytest.param(
        {"customerId": "c-1", "email": "not-an-email"}, "BAD_USER_INPUT", "email", id="bad-email"
    ),
    pytest.param(
        {"customerId": "c-1", "billingInformation": {"billingAddress": {"country": "XX"}}},
        "BAD_USER_INPUT",
        "billingAddress.country",
        id="bad-country",
    ),
    pytest.param(
        {"customerId": "c-1", "billingInformation": {"shippingAddress": {"country": "USA"}}},
        "BAD_USER_INPUT",
        "shippingAddress.country",
        id="alpha3-country",
    ),
    pytest.param(
        {"customerId": "c-1", "billingInformation": {"currency": "XYZ"}},
        "BAD_USER_INPUT",
        "currency",
        id="bad-currency",
    ),
    pytest.param(
        {"customerId": "c-1", "billingInformation": {"language": "english!"}},
        "BAD_USER_INPUT",
        "language",
        id="bad-language",
    ),
    pytest.param(
        {"customerId": "c-1", "billingInformation": {"timezone": "Mars/Olympus"}},
        "BAD_USER_INPUT",
        "timezone",
        id="bad-timezone",
    ),
    pytest.param(
        {"customerId": "c-1", "additionalMetaData": {f"k{i}": "v" for i in range(51)}},
        "BAD_USER_INPUT",
        "additionalMetaData",
        id="too-many-metadata-keys",
    ),
    pytest.param(
        {"customerId": "c-1", "additionalMetaData": {"k": "v" * 501}},
        "BAD_USER_INPUT",
        "additionalMetaData",
        id="metadata-value-too-long",
    ),
    pytest.param(
        {"customerId": "c-1", "couponRefId": "no-such-coupon"},
        "COUPON_NOT_FOUND",
        "couponRefId",
        id="unknown-coupon",
    ),
    pytest.param(
        {"customerId": "c-1", "unknownField": 1},
        "BAD_USER_INPUT",
        "unknownField",
        id="unknown-field",
    ),
    pytest.param({"customerId": 12}, "BAD_USER_INPUT", "String", id="wrong-type"),
    pytest.param(
        {"customerId": "c-1", "name": ["a"]}, "BAD_USER_INPUT", "String", id="list-for-string"
    ),
]


@pytest.mark.parametrize(("fields", "code", "mentions"), BAD_INPUTS)
def test_bad_provision_input_is_refused_and_changes_nothing(
    gql: GraphQL, engine: Engine, fields: dict[str, Any], code: str, mentions: str
) -> None:
    provision(
        gql, customerId="c-1", name="Acme", email="a@acme.com", additionalMetaData={"keep": "me"}
    )
    before = stored(engine)
    error = gql.error(PROVISION, {"input": fields})
    assert error["extensions"]["code"] == code
    assert mentions in error["message"] or mentions in str(error["extensions"])
    assert stored(engine) == before


def test_malformed_json_body_is_a_clear_400(gql: GraphQL) -> None:
    response = gql.client.post(
        "/graphql",
        content=b'{"query": "{ __typename ',
        headers={"X-API-KEY": gql.key or "", "content-type": "application/json"},
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "JSON" in error["message"]


def test_body_without_a_query_is_a_clear_400(gql: GraphQL) -> None:
    response = gql.client.post(
        "/graphql", json={"variables": {}}, headers={"X-API-KEY": gql.key or ""}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_unknown_field_in_document_is_a_validation_error(gql: GraphQL) -> None:
    error = gql.error('query { getCustomerByRefId(input: {customerId: "x"}) { nope } }')
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "nope" in error["message"]


def test_syntax_error_is_a_parse_error(gql: GraphQL) -> None:
    error = gql.error("query { getCustomerByRefId(")
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
