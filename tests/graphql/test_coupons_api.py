"""The ``coupons`` query: filtering, sorting, cursor paging, and environment isolation."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session

from app.models import Coupon, Environment
from tests.conftest import GraphQL

COUPONS = """
query($filter: CouponFilter, $sorting: [CouponSort!], $paging: CursorPaging) {
  coupons(filter: $filter, sorting: $sorting, paging: $paging) {
    edges { cursor node { refId status type name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    totalCount
  }
}"""

# refId, name, type, status; created one minute apart in this order.
ROWS = [
    ("c-alpha", "Zeta", "PERCENTAGE", "ACTIVE"),
    ("c-bravo", "Yankee", "FIXED", "ACTIVE"),
    ("c-charlie", "X-ray", "PERCENTAGE", "ARCHIVED"),
    ("c-delta", "Whiskey", "FIXED", "ACTIVE"),
    ("c-echo", "Victor", "PERCENTAGE", "ACTIVE"),
]


def coupon(
    environment: Environment, ref_id: str, name: str, kind: str, status: str, at: datetime
) -> Coupon:
    return Coupon(
        environment_id=environment.id,
        ref_id=ref_id,
        name=name,
        type=kind,
        discount_value=Decimal(10),
        currency="USD" if kind == "FIXED" else None,
        status=status,
        created_at=at,
        updated_at=at,
    )


@pytest.fixture
def coupons(session: Session, environment: Environment, other_environment: Environment) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for index, (ref_id, name, kind, status) in enumerate(ROWS):
        session.add(
            coupon(environment, ref_id, name, kind, status, start + timedelta(minutes=index))
        )
    session.add(coupon(other_environment, "c-foreign", "Foreign", "PERCENTAGE", "ACTIVE", start))
    session.commit()


def fetch(gql: GraphQL, **variables: Any) -> dict[str, Any]:
    connection: dict[str, Any] = gql(COUPONS, variables)["coupons"]
    return connection


def refs(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["refId"] for edge in connection["edges"]]


pytestmark = pytest.mark.usefixtures("coupons")


def test_without_arguments_lists_the_environments_coupons_oldest_first(gql: GraphQL) -> None:
    connection = fetch(gql)
    assert refs(connection) == [row[0] for row in ROWS]
    assert connection["totalCount"] == 5
    assert connection["pageInfo"]["hasNextPage"] is False
    assert connection["pageInfo"]["hasPreviousPage"] is False


def test_coupons_of_another_environment_are_not_seen(gql: GraphQL, other_api_key: str) -> None:
    assert "c-foreign" not in refs(fetch(gql))
    other = GraphQL(gql.client, other_api_key)
    connection = other(COUPONS)["coupons"]
    assert refs(connection) == ["c-foreign"]
    assert connection["totalCount"] == 1


def test_filter_by_status_eq(gql: GraphQL) -> None:
    connection = fetch(gql, filter={"status": {"eq": "ARCHIVED"}})
    assert refs(connection) == ["c-charlie"]
    assert connection["totalCount"] == 1


def test_filter_by_status_neq(gql: GraphQL) -> None:
    assert refs(fetch(gql, filter={"status": {"neq": "ACTIVE"}})) == ["c-charlie"]


def test_filter_by_status_in(gql: GraphQL) -> None:
    connection = fetch(gql, filter={"status": {"in": ["ACTIVE", "ARCHIVED"]}})
    assert connection["totalCount"] == 5


def test_filter_by_ref_id_eq_and_in(gql: GraphQL) -> None:
    assert refs(fetch(gql, filter={"refId": {"eq": "c-delta"}})) == ["c-delta"]
    assert refs(fetch(gql, filter={"refId": {"in": ["c-echo", "c-alpha", "c-foreign"]}})) == [
        "c-alpha",
        "c-echo",
    ]


def test_filter_by_type_combined_with_status(gql: GraphQL) -> None:
    connection = fetch(gql, filter={"type": {"eq": "PERCENTAGE"}, "status": {"eq": "ACTIVE"}})
    assert refs(connection) == ["c-alpha", "c-echo"]
    assert connection["totalCount"] == 2


def test_filter_with_or_and_and(gql: GraphQL) -> None:
    either = {"or": [{"refId": {"eq": "c-bravo"}}, {"type": {"eq": "PERCENTAGE"}}]}
    assert refs(fetch(gql, filter=either)) == ["c-alpha", "c-bravo", "c-charlie", "c-echo"]
    both = {"and": [either, {"status": {"eq": "ACTIVE"}}]}
    assert refs(fetch(gql, filter=both)) == ["c-alpha", "c-bravo", "c-echo"]


def test_sorting_by_ref_id_descending(gql: GraphQL) -> None:
    sorting = [{"field": "refId", "direction": "DESC"}]
    assert refs(fetch(gql, sorting=sorting)) == [row[0] for row in reversed(ROWS)]


def test_sorting_by_type_then_name(gql: GraphQL) -> None:
    sorting = [{"field": "type", "direction": "ASC"}, {"field": "name"}]
    assert refs(fetch(gql, sorting=sorting)) == [
        "c-delta",  # FIXED, Whiskey
        "c-bravo",  # FIXED, Yankee
        "c-echo",  # PERCENTAGE, Victor
        "c-charlie",  # PERCENTAGE, X-ray
        "c-alpha",  # PERCENTAGE, Zeta
    ]


def test_paging_follows_cursors_without_overlap_or_gaps(gql: GraphQL) -> None:
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        paging = {"first": 2} if after is None else {"first": 2, "after": after}
        connection = fetch(gql, paging=paging)
        pages += 1
        seen += refs(connection)
        info = connection["pageInfo"]
        assert connection["totalCount"] == 5
        assert info["hasPreviousPage"] is (pages > 1)
        assert info["startCursor"] == connection["edges"][0]["cursor"]
        assert info["endCursor"] == connection["edges"][-1]["cursor"]
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert pages == 3
    assert seen == [row[0] for row in ROWS]


def test_paging_a_filtered_and_sorted_list(gql: GraphQL) -> None:
    query = {
        "filter": {"status": {"neq": "ARCHIVED"}},
        "sorting": [{"field": "name", "direction": "ASC"}],
    }
    first = fetch(gql, **query, paging={"first": 3})
    assert refs(first) == ["c-echo", "c-delta", "c-bravo"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["totalCount"] == 4
    after = first["pageInfo"]["endCursor"]
    rest = fetch(gql, **query, paging={"first": 3, "after": after})
    assert refs(rest) == ["c-alpha"]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert rest["pageInfo"]["hasPreviousPage"] is True


def test_paging_past_the_end_is_an_empty_page(gql: GraphQL) -> None:
    last = fetch(gql)["edges"][-1]["cursor"]
    connection = fetch(gql, paging={"first": 2, "after": last})
    assert connection["edges"] == []
    assert connection["pageInfo"]["startCursor"] is None
    assert connection["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize(
    ("paging", "field"),
    [
        pytest.param({"first": 0}, "paging.first", id="first-zero"),
        pytest.param({"first": -1}, "paging.first", id="first-negative"),
        pytest.param({"first": 1000}, "paging.first", id="first-too-large"),
        pytest.param({"after": "not a cursor"}, "paging.after", id="garbage-cursor"),
        pytest.param(
            {"after": base64.urlsafe_b64encode(b"coupon:-1").decode()},
            "paging.after",
            id="negative-offset",
        ),
        pytest.param(
            {"after": base64.urlsafe_b64encode(b"coupon:" + b"9" * 30).decode()},
            "paging.after",
            id="offset-beyond-any-table",
        ),
        pytest.param(
            {"after": base64.urlsafe_b64encode(b"customer:1").decode()},
            "paging.after",
            id="foreign-cursor",
        ),
    ],
)
def test_bad_paging_is_bad_user_input(gql: GraphQL, paging: dict[str, Any], field: str) -> None:
    error = gql.error(COUPONS, {"paging": paging})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == field


@pytest.mark.parametrize(
    "variables",
    [
        pytest.param({"filter": {"status": {"eq": "DELETED"}}}, id="unknown-status"),
        pytest.param({"sorting": [{"field": "discount"}]}, id="unknown-sort-field"),
        pytest.param({"sorting": [{"field": "name", "direction": "UP"}]}, id="bad-direction"),
        pytest.param({"filter": {"nope": {"eq": "x"}}}, id="unknown-filter-field"),
    ],
)
def test_bad_filter_or_sorting_is_bad_user_input(gql: GraphQL, variables: dict[str, Any]) -> None:
    error = gql.error(COUPONS, variables)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_coupons_need_an_api_key(gql: GraphQL) -> None:
    response = gql.post(COUPONS, key=None)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
