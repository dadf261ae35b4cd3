"""reportEvent refuses a bad call whole: nothing stored, every problem named by its path."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from tests.conftest import GraphQL
from tests.entitlements.reporting import REPORT, event, report, stored


def test_a_batch_over_the_limit_is_refused_whole(gql: GraphQL, metered: Session) -> None:
    error = gql.error(REPORT, {"events": {"usageEvents": [event(str(i)) for i in range(1001)]}})

    assert error["extensions"]["code"] == "TOO_MANY_ITEMS"
    assert error["extensions"]["field"] == "events.usageEvents"
    assert "1000" in error["message"]
    assert stored(metered) == 0


def test_an_empty_batch_is_refused(gql: GraphQL, metered: Session) -> None:
    error = gql.error(REPORT, {"events": {"usageEvents": []}})

    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "events.usageEvents"


def test_a_batch_of_exactly_the_limit_is_taken(gql: GraphQL, metered: Session) -> None:
    report(gql, [event(str(i)) for i in range(1000)])

    assert stored(metered) == 1000


def _at(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    ("offset", "problem"),
    [
        (timedelta(hours=24, minutes=1), "24 hours ahead"),
        (-(datetime.now(UTC) - datetime(1999, 12, 31, tzinfo=UTC)), "before 2000"),
    ],
)
def test_a_timestamp_outside_the_window_refuses_the_whole_batch(
    gql: GraphQL, metered: Session, offset: timedelta, problem: str
) -> None:
    now = datetime.now(UTC)
    events = [event("fine"), event("off", timestamp=_at(now + offset))]

    error = gql.error(REPORT, {"events": {"usageEvents": events}})

    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "events.usageEvents[1].timestamp"
    assert problem in error["message"]
    assert stored(metered) == 0


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"timestamp": "2025-01-31T12:00:00"}, "timestamp"),
        ({"timestamp": "yesterday"}, "timestamp"),
        ({"timestamp": "0001-01-01T00:00:00+01:00"}, "timestamp"),
        ({"idempotencyKey": ""}, "idempotencyKey"),
        ({"eventName": "e" * 256}, "eventName"),
        ({"dimensions": {"nested": {"a": 1}}}, "dimensions"),
        ({"dimensions": {f"d{i}": i for i in range(51)}}, "dimensions"),
        ({"dimensions": {"long": "x" * 256}}, "dimensions"),
    ],
)
def test_each_problem_is_named_by_its_path(
    gql: GraphQL, metered: Session, fields: dict[str, Any], path: str
) -> None:
    events = [event("0"), event("1"), event("2"), {**event("3"), **fields}]

    error = gql.error(REPORT, {"events": {"usageEvents": events}})

    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == f"events.usageEvents[3].{path}"
    assert stored(metered) == 0


def test_a_nul_character_refuses_the_whole_request(gql: GraphQL, metered: Session) -> None:
    events = [event("0"), {**event("1"), "customerId": "c\x00"}]

    error = gql.error(REPORT, {"events": {"usageEvents": events}})

    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "NUL" in error["message"]
    assert stored(metered) == 0


@pytest.mark.parametrize("dimensions", [{"half": "\udc00"}, {"\ud800": 1}])
def test_a_dimension_with_an_unpaired_surrogate_is_refused(
    gql: GraphQL, metered: Session, dimensions: dict[str, Any]
) -> None:
    # JSON carries one escaped (json.dumps escapes it); no database stores it as text.
    body = json.dumps(
        {"query": REPORT, "variables": {"events": {"usageEvents": [event("k", dimensions)]}}}
    )

    response = gql.client.post(
        "/graphql",
        content=body,
        headers={"X-API-KEY": str(gql.key), "content-type": "application/json"},
    )

    error = response.json()["errors"][0]
    assert error["extensions"]["field"] == "events.usageEvents[0].dimensions"
    assert stored(metered) == 0


def test_every_problem_of_a_batch_is_listed(gql: GraphQL, metered: Session) -> None:
    events = [event("0", timestamp="no"), event("1"), {**event("2"), "eventName": ""}]

    error = gql.error(REPORT, {"events": {"usageEvents": events}})

    assert [problem.split(":")[0] for problem in error["extensions"]["problems"]] == [
        "events.usageEvents[0].timestamp",
        "events.usageEvents[2].eventName",
    ]
