from __future__ import annotations

from tests.conftest import GraphQL

INTROSPECT = """
{ __schema {
    queryType { fields { name } }
    mutationType { fields { name } }
    types { name }
} }"""


def test_introspection_lists_the_customer_operations_and_types(gql: GraphQL) -> None:
    schema = gql(INTROSPECT)["__schema"]
    queries = {f["name"] for f in schema["queryType"]["fields"]}
    mutations = {f["name"] for f in schema["mutationType"]["fields"]}
    types = {t["name"] for t in schema["types"]}
    assert {"getCustomerByRefId"} <= queries
    assert {
        "provisionCustomer",
        "updateOneCustomer",
        "archiveCustomer",
        "unarchiveCustomer",
    } <= mutations
    assert {
        "Customer",
        "Coupon",
        "PromotionalEntitlement",
        "ProvisionedCustomer",
        "ProvisionCustomerInput",
        "UpdateCustomerInput",
        "CustomerBillingInfo",
        "Address",
        "TaxExempt",
        "GetCustomerByRefIdInput",
        "ArchiveCustomerInput",
        "UnarchiveCustomerInput",
        "SubscriptionDecisionStrategy",
        "JSON",
    } <= types


def test_introspection_works_with_the_key_as_query_parameter(gql: GraphQL) -> None:
    response = gql.client.post(
        f"/graphql?apiKey={gql.key}", json={"query": "query { __schema { types { name } } }"}
    )
    assert response.status_code == 200
    assert len(response.json()["data"]["__schema"]["types"]) > 20
