"""The fuzz suite's world: the example catalog and a customer holding a subscription."""

from __future__ import annotations

import pytest

from tests.conftest import GraphQL

CUSTOMER = "fz-customer"
SUBSCRIPTION = "fz-subscription"


@pytest.fixture
def world(gql: GraphQL, catalog_applied: None) -> None:
    gql(
        "mutation($input: ProvisionCustomerInput!) { provisionCustomer(input: $input) "
        "{ customer { id } } }",
        {"input": {"customerId": CUSTOMER, "email": "fz@example.com"}},
    )
    gql(
        "mutation($input: ProvisionSubscriptionInput!) { provisionSubscriptionV2(input: $input) "
        "{ status } }",
        {"input": {"customerId": CUSTOMER, "planId": "plan-revvenu-free", "refId": SUBSCRIPTION}},
    )
