"""The entitlement and usage documents of the platform's GraphQL guide run unchanged."""

from __future__ import annotations

import pytest

from tests.conftest import GraphQL
from tests.graphql.test_seed_subscriptions import ISO_MS, UUID, Maybe, assert_shape, seed

pytestmark = pytest.mark.usefixtures("catalog_applied")

PROVISION_CUSTOMER = """
mutation($input: ProvisionCustomerInput!) { provisionCustomer(input: $input) { customer { id } } }
"""
PROVISION_SUBSCRIPTION = """
mutation($input: ProvisionSubscriptionInput!) {
  provisionSubscriptionV2(input: $input) { status subscription { refId status } }
}"""

FEATURE = {
    "refId": str,
    "displayName": str,
    "featureUnits": Maybe(str),
    "featureUnitsPlural": Maybe(str),
    "featureType": str,
    "meterType": str,
    "description": Maybe(str),
}
NUMBER = (int, float)


def _customer_with_resource(gql: GraphQL, customer_id: str = "customer-id") -> str:
    created = gql(PROVISION_CUSTOMER, {"input": {"customerId": customer_id}})
    gql(
        PROVISION_SUBSCRIPTION,
        {
            "input": {
                "customerId": customer_id,
                "planId": "plan-revvenu-free",
                "resourceId": "resource-01",
            }
        },
    )
    internal_id: str = created["provisionCustomer"]["customer"]["id"]
    return internal_id


def test_get_entitlement_runs_unchanged(gql: GraphQL) -> None:
    internal_id = _customer_with_resource(gql)
    document, variables = seed("GetEntitlement")

    answer = gql(document, variables)["entitlement"]

    assert_shape(
        answer,
        {
            "isGranted": bool,
            "feature": FEATURE,
            "currentUsage": NUMBER,
            "customerId": UUID,
            "accessDeniedReason": Maybe(str),
            "requestedUsage": NUMBER,
            "usageLimit": NUMBER,
            "hasUnlimitedUsage": bool,
            "usagePeriodAnchor": Maybe(ISO_MS),
            "usagePeriodStart": Maybe(ISO_MS),
            "usagePeriodEnd": Maybe(ISO_MS),
            "resetPeriod": Maybe(str),
        },
    )
    assert answer["isGranted"] is True
    assert answer["customerId"] == internal_id
    assert answer["feature"]["refId"] == "feature-01-templates"
    assert answer["feature"]["meterType"] == "Fluctuating"
    assert answer["usageLimit"] == 3
    assert answer["resetPeriod"] is None


def test_get_entitlements_runs_unchanged(gql: GraphQL) -> None:
    _customer_with_resource(gql)
    document, variables = seed("GetEntitlements")

    answer = gql(document, variables)["cachedEntitlements"]

    assert_shape(
        answer,
        [
            {
                "feature": FEATURE,
                "currentUsage": NUMBER,
                "customerId": UUID,
                "usageLimit": Maybe(NUMBER),
                "hasUnlimitedUsage": bool,
                "usagePeriodAnchor": Maybe(ISO_MS),
                "usagePeriodStart": Maybe(ISO_MS),
                "usagePeriodEnd": Maybe(ISO_MS),
                "resetPeriod": Maybe(str),
            }
        ],
    )
    by_feature = {item["feature"]["refId"]: item for item in answer}
    assert by_feature["feature-02-campaigns"]["resetPeriod"] == "MONTH"
    assert by_feature["feature-02-campaigns"]["usagePeriodStart"] is not None


def test_report_usage_runs_unchanged_and_the_next_check_sees_it(gql: GraphQL) -> None:
    _customer_with_resource(gql)
    document, variables = seed("ReportUsage")

    answer = gql(document, variables)["reportUsage"]

    assert_shape(answer, {"id": UUID})
    check = gql(
        "query($q: FetchEntitlementQuery!) { entitlement(query: $q) { currentUsage isGranted "
        "accessDeniedReason usageLimit } }",
        {
            "q": {
                "customerId": "customer-id",
                "featureId": "feature-02-campaigns",
                "resourceId": "resource-01",
            }
        },
    )["entitlement"]
    assert check["currentUsage"] == 5
    assert check["usageLimit"] == 1
    assert check["isGranted"] is False
    assert check["accessDeniedReason"] == "RequestedUsageExceedingLimit"


# The Python SDK guide's inputs (seed 003), sent as the GraphQL its methods send.

SDK_CHECK = """
query($query: FetchEntitlementQuery!) {
  entitlement(query: $query) { isGranted accessDeniedReason requestedUsage usageLimit currentUsage }
}"""
SDK_CHECKS = """
query($query: FetchEntitlementsQuery!) {
  cachedEntitlements(query: $query) { feature { refId } usageLimit currentUsage }
}"""
SDK_REPORT = """
mutation($input: ReportUsageInput!) { reportUsage(input: $input) { id currentUsage } }
"""


def test_sdk_get_entitlement_input_answers(gql: GraphQL) -> None:
    _customer_with_resource(gql)
    query = {
        "customerId": "customer-id",
        "featureId": "feature-01-templates",
        "options": {"requestedUsage": 10},
        "resourceId": "resource-01",
    }
    answer = gql(SDK_CHECK, {"query": query})["entitlement"]
    assert answer == {
        "isGranted": False,
        "accessDeniedReason": "RequestedUsageExceedingLimit",
        "requestedUsage": 10,
        "usageLimit": 3,
        "currentUsage": 0,
    }


def test_sdk_get_entitlements_input_answers(gql: GraphQL) -> None:
    _customer_with_resource(gql)
    query = {"customerId": "customer-id", "resourceId": "resource-01"}
    answer = gql(SDK_CHECKS, {"query": query})["cachedEntitlements"]
    assert "feature-01-templates" in {item["feature"]["refId"] for item in answer}


def test_sdk_report_usage_inputs_answer_delta_then_set(gql: GraphQL) -> None:
    _customer_with_resource(gql)
    delta = {
        "value": 5,
        "customerId": "customer-id",
        "featureId": "feature-02-campaigns",
        "resourceId": "resource-01",
    }
    assert gql(SDK_REPORT, {"input": delta})["reportUsage"]["currentUsage"] == 5
    assert gql(SDK_REPORT, {"input": delta})["reportUsage"]["currentUsage"] == 10
    setting = {**delta, "updateBehavior": "SET"}
    assert gql(SDK_REPORT, {"input": setting})["reportUsage"]["currentUsage"] == 5
