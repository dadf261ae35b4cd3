"""Usage reports and checks over GraphQL: every bad input is a clear error, never a 500,
and a refused report changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GraphQL

pytestmark = pytest.mark.usefixtures("catalog_applied")

PROVISION_CUSTOMER = """
mutation($input: ProvisionCustomerInput!) { provisionCustomer(input: $input) { customer { id } } }
"""
PROVISION = """
mutation($input: ProvisionSubscriptionInput!) {
  provisionSubscriptionV2(input: $input) { status entitlements { feature { refId } usageLimit } }
}"""
REPORT = """
mutation($input: ReportUsageInput!) {
  reportUsage(input: $input) {
    id customerId featureId resourceId value currentUsage usagePeriodStart usagePeriodEnd
    nextResetDate timestamp createdAt
  }
}"""
BULK = """
mutation($input: ReportUsageBulkInput!) { reportUsageBulk(input: $input) { currentUsage } }
"""
CHECK = """
query($q: FetchEntitlementQuery!) { entitlement(query: $q) { isGranted currentUsage } }
"""
CHECKS = """
query($q: FetchEntitlementsQuery!) { cachedEntitlements(query: $q) { feature { refId } } }
"""


@pytest.fixture
def customer(gql: GraphQL) -> str:
    gql(PROVISION_CUSTOMER, {"input": {"customerId": "u-1"}})
    answer = gql(PROVISION, {"input": {"customerId": "u-1", "planId": "plan-revvenu-free"}})
    granted = {
        item["feature"]["refId"]: item["usageLimit"]
        for item in answer["provisionSubscriptionV2"]["entitlements"]
    }
    assert granted["feature-01-templates"] == 3
    return "u-1"


def usage(gql: GraphQL, feature: str = "feature-01-templates") -> float:
    answer = gql(CHECK, {"q": {"customerId": "u-1", "featureId": feature}})
    value: float = answer["entitlement"]["currentUsage"]
    return value


def report(**fields: Any) -> dict[str, Any]:
    return {
        "input": {"customerId": "u-1", "featureId": "feature-01-templates", "value": 1, **fields}
    }


def test_report_answers_the_measurement_with_current_usage(gql: GraphQL, customer: str) -> None:
    answer = gql(REPORT, report(value=2, idempotencyKey="k"))["reportUsage"]
    assert answer["customerId"] == "u-1"
    assert answer["featureId"] == "feature-01-templates"
    assert answer["value"] == 2 and answer["currentUsage"] == 2
    assert answer["usagePeriodStart"] is None  # a current count has no period
    campaigns = gql(REPORT, report(featureId="feature-02-campaigns"))["reportUsage"]
    assert campaigns["usagePeriodStart"] is not None
    assert campaigns["nextResetDate"] == campaigns["usagePeriodEnd"]


def test_bulk_reports_apply_in_order(gql: GraphQL, customer: str) -> None:
    usages = [
        {"customerId": "u-1", "featureId": "feature-01-templates", "value": 2},
        {
            "customerId": "u-1",
            "featureId": "feature-01-templates",
            "value": 1,
            "updateBehavior": "SET",
        },
    ]
    answer = gql(BULK, {"input": {"usages": usages}})["reportUsageBulk"]
    assert [item["currentUsage"] for item in answer] == [2, 1]


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"customerId": "nobody"}, "CUSTOMER_NOT_FOUND", "customerId"),
        ({"featureId": "no-such-feature"}, "FEATURE_NOT_FOUND", "featureId"),
        ({"featureId": "feature-03-custom-domain"}, "FEATURE_NOT_METERED", "featureId"),
        ({"featureId": "feature-05-pages"}, "NO_FEATURE_ENTITLEMENT", "featureId"),
        ({"resourceId": "nowhere"}, "CUSTOMER_RESOURCE_NOT_FOUND", "resourceId"),
        ({"value": -1, "updateBehavior": "SET"}, "BAD_USER_INPUT", "input"),
        ({"value": 0.1234567}, "BAD_USER_INPUT", "input.value"),
        ({"value": 1e20}, "BAD_USER_INPUT", "input.value"),
        # A NUL is refused before the request is read, whatever field holds it.
        ({"idempotencyKey": "a\x00b"}, "BAD_REQUEST", ""),
        ({"idempotencyKey": "k" * 256}, "BAD_USER_INPUT", "input.idempotencyKey"),
        ({"createdAt": "2999-01-01T00:00:00Z"}, "BAD_USER_INPUT", "createdAt"),
        ({"createdAt": "2024-01-01T00:00:00"}, "BAD_USER_INPUT", "input.createdAt"),
        ({"dimensions": {"k": {"nested": 1}}}, "BAD_USER_INPUT", "input.dimensions"),
    ],
)
def test_bad_report_is_refused_and_changes_nothing(
    gql: GraphQL, customer: str, fields: dict[str, Any], code: str, field: str
) -> None:
    gql(REPORT, report(value=1))
    error = gql.error(REPORT, report(**fields))
    assert error["extensions"]["code"] == code, error
    assert error["extensions"].get("field", "").startswith(field), error
    assert usage(gql) == 1


def test_bulk_of_more_than_a_hundred_is_refused_whole(gql: GraphQL, customer: str) -> None:
    usages = [
        {"customerId": "u-1", "featureId": "feature-01-templates", "value": 1} for _ in range(101)
    ]
    error = gql.error(BULK, {"input": {"usages": usages}})
    assert error["extensions"]["code"] == "TOO_MANY_ITEMS"
    assert usage(gql) == 0


def test_bulk_with_one_bad_report_stores_none(gql: GraphQL, customer: str) -> None:
    usages = [
        {"customerId": "u-1", "featureId": "feature-01-templates", "value": 1},
        {"customerId": "u-1", "featureId": "no-such-feature", "value": 1},
    ]
    error = gql.error(BULK, {"input": {"usages": usages}})
    assert error["extensions"]["code"] == "FEATURE_NOT_FOUND"
    assert usage(gql) == 0


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"customerId": "c" * 256, "featureId": "feature-01-templates"}, "BAD_USER_INPUT"),
        ({"customerId": "u-1", "featureId": "f\x00"}, "BAD_REQUEST"),
        (
            {"customerId": "u-1", "featureId": "feature-01-templates", "resourceId": ""},
            "BAD_USER_INPUT",
        ),
        (
            {"customerId": "u-1", "featureId": "x", "options": {"requestedValues": ["v"] * 101}},
            "BAD_USER_INPUT",
        ),
    ],
)
def test_malformed_check_is_a_clear_error(
    gql: GraphQL, customer: str, query: dict[str, Any], code: str
) -> None:
    error = gql.error(CHECK, {"q": query})
    assert error["extensions"]["code"] == code


def test_checks_of_an_unknown_customer_are_empty(gql: GraphQL) -> None:
    assert gql(CHECKS, {"q": {"customerId": "nobody"}}) == {"cachedEntitlements": []}
