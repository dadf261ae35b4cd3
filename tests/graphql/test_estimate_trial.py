"""estimateSubscription's trial fields have the effect provisioning gives them: a
subscription that would start with a trial is first billed at the trial's end, so the
estimated period starts there; one that would start paid is billed from its start. A
resourceId is checked as provisioning checks it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from app.models import Environment
from tests.conftest import GraphQL
from tests.subscriptions.factories import apply, catalog_data

ESTIMATE = """
mutation($input: EstimateSubscriptionInput!) {
  estimateSubscription(input: $input) { total { amount } billingPeriodRange { start end } }
}"""
PROVISION = """
mutation($input: ProvisionSubscriptionInput!) {
  provisionSubscriptionV2(input: $input) { subscription { status trialEndDate } }
}"""
START = "2026-12-01T00:00:00.000Z"


@pytest.fixture
def shop(gql: GraphQL, session: Session, environment: Environment) -> GraphQL:
    apply(session, environment, catalog_data())
    for customer in ("c-1", "c-2"):
        gql(
            "mutation($id: String!) { provisionCustomer(input: {customerId: $id}) "
            "{ customer { customerId } } }",
            {"id": customer},
        )
    return gql


def estimate(gql: GraphQL, **fields: Any) -> dict[str, Any]:
    values = {"customerId": "c-1", "planId": "pro", "billingPeriod": "MONTHLY", "unitQuantity": 1}
    answer = gql(ESTIMATE, {"input": {**values, "startDate": START, **fields}})
    return dict(answer["estimateSubscription"])


def test_a_plan_with_a_trial_is_first_billed_when_the_trial_ends(shop: GraphQL) -> None:
    found = estimate(shop)
    assert found["billingPeriodRange"] == {
        "start": "2026-12-15T00:00:00.000Z",  # 14 days of trial
        "end": "2027-01-15T00:00:00.000Z",
    }
    assert found["total"] == {"amount": 25}  # the period's price: 20 + 1 seat at 5


def test_the_trial_estimated_is_the_one_provisioning_gives(shop: GraphQL) -> None:
    estimated = estimate(shop)["billingPeriodRange"]["start"]
    made = shop(
        PROVISION,
        {
            "input": {
                "customerId": "c-1",
                "planId": "pro",
                "billingPeriod": "MONTHLY",
                "unitQuantity": 1,
                "startDate": START,
            }
        },
    )["provisionSubscriptionV2"]["subscription"]
    assert made["status"] == "NOT_STARTED"  # the start is ahead; its trial is set
    assert made["trialEndDate"] == estimated


def test_skip_trial_is_billed_from_the_start(shop: GraphQL) -> None:
    found = estimate(shop, skipTrial=True)
    assert found["billingPeriodRange"] == {
        "start": START,
        "end": "2027-01-01T00:00:00.000Z",
    }


def test_a_trial_override_sets_or_removes_the_trial(shop: GraphQL) -> None:
    longer = {"isTrial": True, "trialEndDate": "2027-02-01T00:00:00Z"}
    found = estimate(shop, planId="basic", unitQuantity=None, trialOverrideConfiguration=longer)
    assert found["billingPeriodRange"]["start"] == "2027-02-01T00:00:00.000Z"
    without = estimate(shop, trialOverrideConfiguration={"isTrial": False})
    assert without["billingPeriodRange"]["start"] == START


def test_a_trial_override_ending_before_the_start_is_refused(shop: GraphQL) -> None:
    early = {"isTrial": True, "trialEndDate": "2026-11-01T00:00:00Z"}
    error = shop.error(ESTIMATE, {"input": {"customerId": "c-1", "planId": "basic",
                                            "billingPeriod": "MONTHLY", "startDate": START,
                                            "trialOverrideConfiguration": early}})  # fmt: skip
    assert error["extensions"]["code"] == "INVALID_DATE"
    assert "trialEndDate" in error["message"]


def test_a_customer_who_had_the_trial_is_billed_from_the_start(shop: GraphQL) -> None:
    shop(
        PROVISION,
        {"input": {"customerId": "c-1", "planId": "pro", "billingPeriod": "MONTHLY",
                   "unitQuantity": 1}},
    )  # fmt: skip
    assert estimate(shop)["billingPeriodRange"]["start"] == START
    # Another customer still has it.
    assert estimate(shop, customerId="c-2")["billingPeriodRange"]["start"] != START


def test_a_resource_id_is_refused_where_provisioning_refuses_it(shop: GraphQL) -> None:
    error = shop.error(ESTIMATE, {"input": {"customerId": "c-1", "planId": "pro",
                                            "billingPeriod": "MONTHLY", "unitQuantity": 1,
                                            "resourceId": "r-1"}})  # fmt: skip
    assert error["extensions"]["code"] == "MULTIPLE_SUBSCRIPTIONS_NOT_ALLOWED"
    long = shop.error(ESTIMATE, {"input": {"customerId": "c-1", "planId": "site",
                                           "billingPeriod": "MONTHLY",
                                           "resourceId": "r" * 256}})  # fmt: skip
    assert long["extensions"]["code"] == "BAD_USER_INPUT"
