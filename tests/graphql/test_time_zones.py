"""Over the API, an instant written with a UTC offset is that instant in UTC."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from app import clock
from tests.conftest import GraphQL
from tests.graphql.test_subscriptions_api import ESSENTIALS, PROVISION_V2, customer

pytestmark = pytest.mark.usefixtures("catalog_applied")


@pytest.fixture(autouse=True)
def before_the_start() -> Iterator[None]:
    clock.set_clock(clock.FrozenClock(datetime(2026, 1, 20, tzinfo=UTC)))
    yield
    clock.set_clock(None)


def _periods(gql: GraphQL, customer_id: str, start: str) -> tuple[str, str, str]:
    customer(gql, customer_id)
    created = gql(
        PROVISION_V2, {"input": {**ESSENTIALS, "customerId": customer_id, "startDate": start}}
    )["provisionSubscriptionV2"]["subscription"]
    return (
        created["startDate"],
        created["currentBillingPeriodStart"],
        created["currentBillingPeriodEnd"],
    )


def test_a_start_date_with_an_offset_bills_the_periods_of_the_instant_in_utc(
    gql: GraphQL,
) -> None:
    with_offset = _periods(gql, "c-1", "2026-01-30T20:00:00-05:00")
    in_utc = _periods(gql, "c-2", "2026-01-31T01:00:00Z")
    assert with_offset == in_utc
    assert with_offset[1:] == ("2026-01-31T01:00:00.000Z", "2026-02-28T01:00:00.000Z")
