"""reportEvent: raw events stored once each and counted by the meters they match."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import Session, select

from app import clock
from app.models import Environment, UsageEvent
from tests.conftest import GraphQL
from tests.entitlements.event_factories import (
    USAGE_LIMIT,
    apply_metered_catalog,
    condition,
    meter,
    set_meter,
    subscribed_customer,
)
from tests.entitlements.reporting import CHECK, event, report, stored, usage

# -- aggregation ----------------------------------------------------------------------

# Two batches, so every aggregate is also added to one already stored. ``n`` is missing
# from one event and a boolean in another: neither is a number, neither counts for SUM,
# AVG, MIN or MAX.
FIRST = [{"n": 3, "user": "a"}, {"n": 5, "user": "b"}, {"user": "c"}]
SECOND = [{"n": 1, "user": "a"}, {"n": True, "user": "a"}, {"n": 2.5, "user": "d"}]


@pytest.mark.parametrize(
    ("function", "field", "expected"),
    [
        ("COUNT", None, 6),
        ("SUM", "n", 11.5),
        ("AVG", "n", 11.5 / 4),
        ("MIN", "n", 1),
        ("MAX", "n", 5),
        ("UNIQUE", "user", 4),
    ],
)
def test_each_aggregation_function_adds_up_across_batches(
    gql: GraphQL,
    metered: Session,
    environment: Environment,
    function: str,
    field: str | None,
    expected: float,
) -> None:
    set_meter(metered, environment, "calls", meter("api_call", function, field))

    report(gql, [event(f"a{i}", dims) for i, dims in enumerate(FIRST)])
    report(gql, [event(f"b{i}", dims) for i, dims in enumerate(SECOND)])

    assert usage(gql) == pytest.approx(expected)


def test_unique_counts_a_value_once_per_period_whatever_its_type(
    gql: GraphQL, metered: Session, environment: Environment
) -> None:
    set_meter(metered, environment, "calls", meter("api_call", "UNIQUE", "v"))

    report(gql, [event("1", {"v": 7}), event("2", {"v": 7.0}), event("3", {"v": True})])
    report(gql, [event("4", {"v": 7}), event("5", {"v": "true"}), event("6", {})])

    assert usage(gql) == 2


def test_only_events_of_the_meters_event_name_count(
    gql: GraphQL, metered: Session, environment: Environment
) -> None:
    set_meter(metered, environment, "calls", meter("api_call"))
    set_meter(metered, environment, "tokens", meter("completion", "SUM", "tokens"))

    report(
        gql,
        [
            event("1"),
            event("2", {"tokens": 40}, eventName="completion"),
            event("3", {"tokens": 2}, eventName="completion"),
            event("4", eventName="something_else"),
        ],
    )

    assert (usage(gql, "calls"), usage(gql, "tokens")) == (1, 42)


# -- filters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("conditions", "counted", "ignored"),
    [
        ([condition("size", "GREATER_THAN", "10")], {"size": 10.5}, {"size": 9}),
        ([condition("region", "IN", values=["eu", "uk"])], {"region": "uk"}, {"region": "us"}),
        ([condition("region", "STARTS_WITH", "eu-")], {"region": "eu-west"}, {"region": "us"}),
        ([condition("trial", "IS_NULL")], {"trial": None}, {"trial": False}),
        ([condition("plan", "NOT_EQUALS", "free")], {"plan": "pro"}, {"plan": "free"}),
    ],
)
def test_a_filter_decides_which_events_count(
    gql: GraphQL,
    metered: Session,
    environment: Environment,
    conditions: list[dict[str, Any]],
    counted: dict[str, Any],
    ignored: dict[str, Any],
) -> None:
    set_meter(metered, environment, "calls", meter("api_call", filters=[conditions]))

    report(gql, [event("1", counted), event("2", ignored), event("3", counted)])

    assert usage(gql) == 2


def test_filters_or_and_the_conditions_of_a_filter_and(
    gql: GraphQL, metered: Session, environment: Environment
) -> None:
    eu_pro = [condition("region", "EQUALS", "eu"), condition("tier", "EQUALS", "pro")]
    us = [condition("region", "EQUALS", "us")]
    set_meter(metered, environment, "calls", meter("api_call", filters=[eu_pro, us]))

    report(
        gql,
        [
            event("1", {"region": "eu", "tier": "pro"}),
            event("2", {"region": "eu", "tier": "free"}),
            event("3", {"region": "us", "tier": "free"}),
            event("4", {"region": "apac", "tier": "pro"}),
        ],
    )

    assert usage(gql) == 2


# -- duplicates ------------------------------------------------------------------------


def test_a_key_repeated_within_a_batch_is_stored_and_counted_once(
    gql: GraphQL, metered: Session, environment: Environment
) -> None:
    set_meter(metered, environment, "calls", meter("api_call", "SUM", "n"))

    report(gql, [event("k", {"n": 5}), event("k", {"n": 7}), event("other", {"n": 1})])

    assert (usage(gql), stored(metered)) == (6, 2)


def test_a_key_sent_again_later_is_stored_and_counted_once(
    gql: GraphQL, metered: Session, environment: Environment
) -> None:
    set_meter(metered, environment, "calls", meter("api_call"))
    report(gql, [event("k"), event("l")])

    report(gql, [event("k"), event("l"), event("m")])

    assert (usage(gql), stored(metered)) == (3, 3)


def test_the_same_key_for_another_event_name_or_resource_is_another_event(
    gql: GraphQL, session: Session, environment: Environment
) -> None:
    apply_metered_catalog(session, environment)
    subscribed_customer(session, environment, plan="site", resource_ids=("r1", "r2"))
    set_meter(session, environment, "page-views", meter("page_view"))

    report(
        gql,
        [
            event("k", eventName="page_view", resourceId="r1"),
            event("k", eventName="page_view", resourceId="r2"),
            event("k", eventName="click", resourceId="r1"),
        ],
    )

    assert stored(session) == 3
    assert usage(gql, "page-views", resourceId="r1") == 1


# -- who and when ---------------------------------------------------------------------


def test_an_event_of_an_unknown_customer_is_stored_and_counts_for_nothing(
    gql: GraphQL, metered: Session, environment: Environment
) -> None:
    set_meter(metered, environment, "calls", meter("api_call"))

    report(gql, [event("1", customerId="nobody"), event("2")])

    assert stored(metered) == 2
    assert usage(gql) == 1


def test_events_count_as_soon_as_their_customer_exists(
    gql: GraphQL, metered: Session, environment: Environment
) -> None:
    set_meter(metered, environment, "calls", meter("api_call"))
    report(gql, [event("before", customerId="newcomer")])

    subscribed_customer(metered, environment, "newcomer")
    report(gql, [event("after", customerId="newcomer")])

    assert usage(gql, customerId="newcomer") == 1


def test_an_event_of_a_feature_the_customer_lacks_counts_for_nothing(
    gql: GraphQL, session: Session, environment: Environment
) -> None:
    apply_metered_catalog(session, environment)
    subscribed_customer(session, environment, plan="site", resource_ids=("r1",))
    set_meter(session, environment, "calls", meter("api_call"))

    report(gql, [event("1", resourceId="r1")])

    assert stored(session) == 1
    assert usage(gql, resourceId="r1") == 0


def test_usage_is_kept_per_resource(
    gql: GraphQL, session: Session, environment: Environment
) -> None:
    apply_metered_catalog(session, environment)
    subscribed_customer(session, environment, plan="site", resource_ids=("r1", "r2"))
    set_meter(session, environment, "page-views", meter("page_view"))

    report(
        gql,
        [
            event("1", eventName="page_view", resourceId="r1"),
            event("2", eventName="page_view", resourceId="r1"),
            event("3", eventName="page_view", resourceId="r2"),
        ],
    )

    assert usage(gql, "page-views", resourceId="r1") == 2
    assert usage(gql, "page-views", resourceId="r2") == 1


def test_the_very_next_check_sees_the_events(
    gql: GraphQL, session: Session, environment: Environment
) -> None:
    apply_metered_catalog(session, environment)
    subscribed_customer(session, environment)
    set_meter(session, environment, "calls", meter("api_call", "SUM", "n"))
    report(gql, [event("1", {"n": USAGE_LIMIT - 1})])
    one_more = {"customerId": "c-1", "featureId": "calls", "options": {"requestedUsage": 1}}
    assert gql(CHECK, {"q": one_more})["entitlement"]["isGranted"] is True

    report(gql, [event("2", {"n": 1})])

    answer = gql(CHECK, {"q": one_more})["entitlement"]
    assert (answer["currentUsage"], answer["isGranted"]) == (USAGE_LIMIT, False)
    assert answer["accessDeniedReason"] == "RequestedUsageExceedingLimit"


def test_a_late_event_counts_in_its_own_period_not_the_current_one(
    gql: GraphQL, session: Session, environment: Environment, frozen: clock.FrozenClock
) -> None:
    frozen.set(datetime(2024, 1, 31, 12, 0, tzinfo=UTC))
    apply_metered_catalog(session, environment)
    subscribed_customer(session, environment)  # monthly: Jan 31, Feb 29, Mar 31, 12:00
    set_meter(session, environment, "calls", meter("api_call"))
    frozen.set(datetime(2024, 3, 3, 12, 0, tzinfo=UTC))

    late = [event(f"late-{i}", timestamp=f"2024-02-2{i}T08:00:00Z") for i in range(2)]

    report(gql, [*late, event("now")])

    assert usage(gql) == 1
    frozen.set(datetime(2024, 2, 25, 12, 0, tzinfo=UTC))
    assert usage(gql) == 2


def test_a_missing_timestamp_is_the_servers_now(
    gql: GraphQL, metered: Session, frozen: clock.FrozenClock
) -> None:
    report(gql, [event("1")])

    row = metered.exec(select(UsageEvent)).one()
    assert row.timestamp == frozen.current


def test_report_usage_refuses_a_feature_metered_by_events(
    gql: GraphQL, metered: Session, environment: Environment
) -> None:
    set_meter(metered, environment, "calls", meter("api_call"))

    error = gql.error(
        "mutation($input: ReportUsageInput!) { reportUsage(input: $input) { id } }",
        {"input": {"customerId": "c-1", "featureId": "calls", "value": 1}},
    )

    assert error["extensions"]["code"] == "FEATURE_METERED_BY_EVENTS"
