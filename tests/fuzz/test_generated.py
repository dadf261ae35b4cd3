"""Queries and mutations generated from the service's own schema, for every root field,
sent through the whole service (HTTP, API key, database).

``FUZZ_EXAMPLES`` is the number of requests per database backend, shared out among the
root fields (about 200 by default, about ten seconds); set it higher for a longer run,
e.g. ``FUZZ_EXAMPLES=2000 make test``. Half the documents are valid against the schema
and half break it in one place (hypothesis-graphql's negative mode). Ids are often
swapped for ones the example catalog and the suite's world hold, so the generated calls
reach the services and not only "not found".
"""

from __future__ import annotations

import os
from typing import Any

import graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries
from sqlalchemy import Engine
from starlette.testclient import TestClient

from app.graphql.schema import build_schema
from tests.fuzz.checks import TALLY, check, post
from tests.fuzz.conftest import CUSTOMER, SUBSCRIPTION

SCHEMA = build_schema()._schema
assert SCHEMA.query_type is not None and SCHEMA.mutation_type is not None
ROOT_FIELDS = [("query", name) for name in SCHEMA.query_type.fields] + [
    ("mutation", name) for name in SCHEMA.mutation_type.fields
]
EXAMPLES = max(4, int(os.environ.get("FUZZ_EXAMPLES", "200")) // len(ROOT_FIELDS))

PLANS = ["plan-revvenu-free", "plan-revvenu-essentials", "plan-revvenu-growth"]
FEATURES = ["feature-01-templates", "feature-02-campaigns", "feature-06-active-users"]
KNOWN: dict[str, list[str]] = {
    "customerId": [CUSTOMER, "fz-new"],
    "planId": PLANS,
    "featureId": FEATURES,
    "addonId": ["addon-10-campaigns", "addon-extra-stuff"],
    "couponId": ["coupon-ten-off"],
    "couponRefId": ["coupon-ten-off"],
    "promotionCode": ["STIGG30"],
    "subscriptionId": [SUBSCRIPTION],
    "subscriptionRefId": [SUBSCRIPTION],
    "refId": [SUBSCRIPTION, "fz-new-subscription"],
    "eventName": ["user_login"],
}
# Dates at and past the edges of what is accepted, with offsets, and not dates at all.
DATES = [
    "2024-01-31T10:00:00Z",
    "2030-01-01T00:00:00+02:00",
    "2099-12-31T23:59:59-05:00",
    "1999-12-31T23:59:59Z",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00+01:00",
    "2024-02-30T00:00:00Z",
    "2024-01-31",
    "yesterday",
]
for _date in ("startDate", "endDate", "prorationDate", "customEndDate", "trialEndDate"):
    KNOWN[_date] = DATES
KNOWN["createdAt"] = KNOWN["timestamp"] = DATES

_NAME = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
_SCALAR: st.SearchStrategy[graphql.ValueNode] = st.one_of(
    st.text(max_size=20).map(nodes.String),
    st.integers(-(2**31), 2**31 - 1).map(nodes.Int),
    st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
    st.booleans().map(nodes.Boolean),
)
JSON_VALUES = st.recursive(
    _SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(nodes.List),
        st.dictionaries(_NAME, inner, max_size=4).map(
            lambda d: nodes.Object(
                [
                    graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=v)
                    for k, v in d.items()
                ]
            )
        ),
    ),
    max_leaves=12,
)
CUSTOM = {"JSON": JSON_VALUES}


def _documents(kind: str, field: str) -> st.SearchStrategy[str]:
    make = queries if kind == "query" else mutations
    return st.one_of(
        *(make(SCHEMA, fields=[field], custom_scalars=CUSTOM, mode=mode) for mode in Mode)
    )


def _with_known_ids(document: str, data: st.DataObject) -> str:
    """Swap some generated ids for ones that name something."""
    try:
        tree = graphql.parse(document)
    except graphql.GraphQLError:
        return document

    class Swap(graphql.Visitor):
        def enter_object_field(self, node: graphql.ObjectFieldNode, *_: Any) -> Any:
            name = node.name.value
            if name not in KNOWN or not isinstance(node.value, graphql.StringValueNode):
                return None
            if data.draw(st.integers(0, 3)) == 0:
                return None
            value = graphql.StringValueNode(value=data.draw(st.sampled_from(KNOWN[name])))
            return graphql.ObjectFieldNode(name=node.name, value=value)

    tree = graphql.visit(tree, Swap())
    return graphql.print_ast(tree)


def _fuzz(client: TestClient, api_key: str, engine: Engine, kind: str, field: str) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        document = _with_known_ids(data.draw(_documents(kind, field)), data)
        TALLY.generated += 1
        check(engine, (api_key,), post(client, api_key, document), f"{field}: {document[:2000]}")

    run()


@pytest.mark.usefixtures("world")
def test_generated_requests_for_every_root_field_are_answered_cleanly(
    client: TestClient, api_key: str, engine: Engine
) -> None:
    # One service for every field (starting one per field cost more than the requests);
    # each field's failure is kept, shrunk, and all are reported together.
    failures: list[str] = []
    for kind, field in ROOT_FIELDS:
        try:
            _fuzz(client, api_key, engine, kind, field)
        except AssertionError as failure:
            failures.append(f"{field}: {failure}")
    assert not failures, "\n\n".join(failures)
