"""Known documents answered from cached answers give the full path's answer, byte for byte.

Each request is sent twice on the same service: once with plans allowed (after a first
run that teaches the document) and once with every plan refused, so the full path
answers. The bodies and statuses must be equal, and the test also checks which path
answered, so a plan that stopped being used fails here too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from app import clock
from app.environments import key_cache
from app.graphql import compiled
from tests.conftest import GraphQL, statements

pytestmark = pytest.mark.usefixtures("catalog_applied")

PROVISION = """
mutation($c: ProvisionCustomerInput!, $s: ProvisionSubscriptionInput!) {
  provisionCustomer(input: $c) { customer { id } }
  provisionSubscriptionV2(input: $s) { status }
}"""
CHECK = """query Check($query: FetchEntitlementQuery!) {
  entitlement(query: $query) {
    isGranted
    feature { refId displayName featureUnits featureUnitsPlural featureType meterType description }
    currentUsage customerId accessDeniedReason requestedUsage usageLimit hasUnlimitedUsage
    usagePeriodAnchor usagePeriodStart usagePeriodEnd resetPeriod
  }
}"""
LEAVES = (
    "isGranted",
    "accessDeniedReason",
    "customerId",
    "resourceId",
    "currentUsage",
    "requestedUsage",
    "requestedValues",
    "usageLimit",
    "hasUnlimitedUsage",
    "hasSoftLimit",
    "enumValues",
    "usagePeriodAnchor",
    "usagePeriodStart",
    "usagePeriodEnd",
    "nextResetDate",
    "resetPeriod",
    "__typename",
)
FEATURE_LEAVES = (
    "id",
    "refId",
    "displayName",
    "description",
    "featureType",
    "meterType",
    "featureUnits",
    "featureUnitsPlural",
    "additionalMetaData",
    "__typename",
)


SITE = {"customerId": "c-1", "resourceId": "site-1"}


class Paths:
    """Counts the answers the plans gave, and can refuse them all."""

    def __init__(self) -> None:
        self.planned = 0
        self.refuse = False

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real = compiled.Plans.answer

        async def answer(plans: compiled.Plans, body: bytes, environment: Any) -> bytes | None:
            if self.refuse:
                return None
            given = await real(plans, body, environment)
            self.planned += given is not None
            return given

        monkeypatch.setattr(compiled.Plans, "answer", answer)


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> Paths:
    found = Paths()
    found.install(monkeypatch)
    return found


@pytest.fixture
def customer(gql: GraphQL) -> str:
    gql(
        PROVISION,
        {
            "c": {"customerId": "c-1"},
            "s": {"customerId": "c-1", "planId": "plan-revvenu-free", "resourceId": "site-1"},
        },
    )
    gql(
        "mutation($i: ReportUsageInput!) { reportUsage(input: $i) { id } }",
        {"i": {**SITE, "featureId": "feature-02-campaigns", "value": 1}},
    )
    return "c-1"


def _post(client: TestClient, key: str, body: Any, **headers: str) -> tuple[int, bytes]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = client.post(
        "/graphql",
        content=raw,
        headers={"X-API-KEY": key, "content-type": "application/json", **headers},
    )
    return response.status_code, response.content


def both(
    client: TestClient, key: str, paths: Paths, body: Any, **headers: str
) -> tuple[tuple[int, bytes], bool]:
    """The answer with plans allowed (sent until the answer is cached), checked equal to
    the full path's; and whether a plan gave it."""
    for _ in range(3):
        before = paths.planned
        planned = _post(client, key, body, **headers)
        if paths.planned > before:
            break
    used = paths.planned > before
    paths.refuse = True
    try:
        full = _post(client, key, body, **headers)
    finally:
        paths.refuse = False
    assert planned == full
    return planned, used


def _check(**query: Any) -> dict[str, Any]:
    return {"query": CHECK, "variables": {"query": {"customerId": "c-1", **query}}}


@pytest.mark.parametrize(
    "query",
    [
        {"featureId": "feature-01-templates"},
        {"featureId": "feature-02-campaigns"},
        {"featureId": "feature-02-campaigns", "resourceId": "site-1"},
        {
            "featureId": "feature-02-campaigns",
            "resourceId": "site-1",
            "options": {"requestedUsage": 5},
        },
        {"featureId": "feature-01-templates", "options": {"requestedUsage": 2.5}},
        {"featureId": "feature-03-custom-domain"},
        {"featureId": "feature-01-templates", "resourceId": "site-1"},
        {"featureId": "feature-unknown"},
    ],
)
def test_the_seed_check_is_answered_by_its_plan_as_the_full_path_answers(
    client: TestClient, api_key: str, paths: Paths, customer: str, query: dict[str, Any]
) -> None:
    (status, body), used = both(client, api_key, paths, _check(**query))

    assert status == 200
    assert "errors" not in json.loads(body)
    assert used


@pytest.mark.parametrize(
    "document",
    [
        # aliases, a field asked twice, __typename at each level
        """query($q: FetchEntitlementQuery!) { __typename a: entitlement(query: $q) {
           __typename g: isGranted isGranted feature { __typename refId r: refId } } }""",
        # two checks in one document, one of them with literal arguments
        """query($q: FetchEntitlementQuery!) { one: entitlement(query: $q) { isGranted }
           two: entitlement(query: {customerId: "c-1", featureId: "feature-02-campaigns",
             options: {requestedUsage: 1}}) { usageLimit currentUsage requestedUsage } }""",
        # fragments and inline fragments on the types themselves
        """query Q($q: FetchEntitlementQuery!) { entitlement(query: $q) { ...E
           ... on Entitlement { usageLimit } ... { hasSoftLimit } } }
           fragment E on Entitlement { isGranted feature { ...F } }
           fragment F on EntitlementFeature { refId featureType }""",
        # lists of leaves and a variable with a default
        """query($q: FetchEntitlementQuery! = {customerId: "c-1", featureId: "feature-01-templates",
             options: {requestedValues: ["a", "b"]}}) {
           entitlement(query: $q) { requestedValues enumValues isGranted } }""",
    ],
)
def test_documents_of_every_supported_shape_are_answered_by_their_plan(
    client: TestClient, api_key: str, paths: Paths, customer: str, document: str
) -> None:
    body = {
        "query": document,
        "variables": {"q": {"customerId": "c-1", "featureId": "feature-01-templates"}},
    }
    if "= {" in document:
        body["variables"] = {}

    (status, answer), used = both(client, api_key, paths, body)

    assert status == 200, answer
    assert "errors" not in json.loads(answer)
    assert used


@pytest.mark.parametrize(
    "document",
    [
        # a directive may depend on a variable
        """query($q: FetchEntitlementQuery!, $s: Boolean!) {
           entitlement(query: $q) { isGranted usageLimit @skip(if: $s) } }""",
        # a union below the check
        """query($q: FetchEntitlementQuery!) { entitlement(query: $q) {
           resetPeriodConfiguration { __typename } } }""",
        # a root field with no plan beside the check
        """query($q: FetchEntitlementQuery!) { entitlement(query: $q) { isGranted }
           cachedEntitlements(query: {customerId: "c-1"}) { isGranted } }""",
    ],
)
def test_documents_of_other_shapes_take_the_full_path(
    client: TestClient, api_key: str, paths: Paths, customer: str, document: str
) -> None:
    variables = {"q": {"customerId": "c-1", "featureId": "feature-01-templates"}, "s": False}

    (status, _), used = both(client, api_key, paths, {"query": document, "variables": variables})

    assert status == 200
    assert not used


def _taught(client: TestClient, api_key: str, paths: Paths) -> None:
    (_, _), used = both(client, api_key, paths, _check(featureId="feature-01-templates"))
    assert used


@pytest.mark.parametrize(
    "body",
    [
        # variables graphql-core refuses: BAD_USER_INPUT from the full path
        {"query": CHECK, "variables": {"query": {"customerId": "c-1"}}},
        {"query": CHECK, "variables": {"query": {"customerId": 5, "featureId": "x"}}},
        {"query": CHECK, "variables": {"query": {"customerId": "c-1", "featureId": "f", "x": 1}}},
        {"query": CHECK, "variables": None},
        {"query": CHECK, "variables": []},
        # a bound: an id too long, characters an id may not hold
        {"query": CHECK, "variables": {"query": {"customerId": "c" * 300, "featureId": "f"}}},
        {"query": CHECK, "variables": {"query": {"customerId": "", "featureId": "f"}}},
        # the request around the document
        {"query": CHECK, "operationName": "Other", "variables": {}},
        # a body larger than any plan's is not read twice
        {
            "query": CHECK,
            "variables": {"query": {"customerId": "c-1", "featureId": "feature-01-templates"}},
            "padding": "x" * 20_000,
        },
        {"query": CHECK, "extensions": "x", "variables": {}},
        b'{"query": ' + json.dumps(CHECK).encode() + b', "variables": {"query": {"customerId": '
        b'"c\\u0000", "featureId": "f"}}}',
        b'{"query": ' + json.dumps(CHECK).encode() + b", ",
    ],
)
def test_requests_the_plan_cannot_answer_get_the_full_paths_answer_or_error(
    client: TestClient, api_key: str, paths: Paths, customer: str, body: Any
) -> None:
    _taught(client, api_key, paths)

    (status, answer), used = both(client, api_key, paths, body)

    assert not used
    assert status < 500, answer


def test_an_unknown_key_is_refused_as_before_with_a_plan_known(
    client: TestClient, api_key: str, paths: Paths, customer: str
) -> None:
    _taught(client, api_key, paths)

    (status, answer), used = both(
        client, "not-a-key", paths, _check(featureId="feature-01-templates")
    )

    assert not used
    assert status == 401
    assert json.loads(answer)["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_change_is_seen_by_the_next_planned_check(
    gql: GraphQL, client: TestClient, api_key: str, paths: Paths, customer: str
) -> None:
    body = _check(featureId="feature-02-campaigns", resourceId="site-1")
    (_, first), used = both(client, api_key, paths, body)
    assert used
    gql(
        "mutation($i: ReportUsageInput!) { reportUsage(input: $i) { id } }",
        {"i": {**SITE, "featureId": "feature-02-campaigns", "value": 2}},
    )

    before = paths.planned
    _, second = _post(client, api_key, body)

    assert paths.planned == before + 1
    assert json.loads(first)["data"]["entitlement"]["currentUsage"] == 1
    assert json.loads(second)["data"]["entitlement"]["currentUsage"] == 3


def test_a_multipart_request_or_a_form_takes_the_full_path(
    client: TestClient, api_key: str, paths: Paths, customer: str
) -> None:
    _taught(client, api_key, paths)

    _, used = both(
        client, api_key, paths, _check(featureId="feature-01-templates"), accept="multipart/mixed"
    )

    assert not used


@st.composite
def selections(draw: st.DrawFn) -> str:
    def fields(names: tuple[str, ...]) -> list[str]:
        chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=6))
        aliased = []
        for index, name in enumerate(chosen):
            alias = draw(st.sampled_from(["", f"a{index}: "]))
            aliased.append(alias + name)
        return aliased

    top = fields(LEAVES)
    if draw(st.booleans()):
        top.append("feature { " + " ".join(fields(FEATURE_LEAVES)) + " }")
    if draw(st.booleans()):
        top = ["... on Entitlement { " + " ".join(top) + " }"]
    return "query($q: FetchEntitlementQuery!) { entitlement(query: $q) { " + " ".join(top) + " } }"


CHECKS = st.fixed_dictionaries(
    {
        "customerId": st.sampled_from(["c-1", "nobody"]),
        "featureId": st.sampled_from(
            ["feature-01-templates", "feature-02-campaigns", "feature-03-custom-domain", "no"]
        ),
    },
    optional={
        "resourceId": st.sampled_from(["site-1", "site-2"]),
        "options": st.fixed_dictionaries(
            {},
            optional={
                "requestedUsage": st.one_of(st.integers(-5, 10), st.floats(0, 10)),
                "requestedValues": st.lists(st.sampled_from(["a", "b"]), max_size=2),
            },
        ),
    },
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(document=selections(), query=CHECKS)
def test_any_selection_of_a_check_answers_as_the_full_path_does(
    client: TestClient,
    api_key: str,
    paths: Paths,
    customer: str,
    document: str,
    query: dict[str, Any],
) -> None:
    (status, _), used = both(client, api_key, paths, {"query": document, "variables": {"q": query}})

    assert status == 200
    assert used


# Reads: a plan's answer read in a unit of work of its own, as the resolver reads it.

SEEDS = Path(__file__).parent / "seeds"
GET_CUSTOMER = (SEEDS / "GetCustomerByRefId.graphql").read_text()
GET_SUBSCRIPTION = (SEEDS / "GetActiveSubscriptions.graphql").read_text()
RICH = """
mutation(
  $c: ProvisionCustomerInput!, $s: ProvisionSubscriptionInput!,
  $p: GrantPromotionalEntitlementsInput!
) {
  provisionCustomer(input: $c) { customer { customerId } }
  provisionSubscriptionV2(input: $s) { subscription { subscriptionId } }
  grantPromotionalEntitlements(input: $p) { id }
}"""


@pytest.fixture
def rich(gql: GraphQL) -> str:
    """Customer c-2 with a coupon, metadata, a promotion and a growth subscription with an
    addon; its subscription's id."""
    answer = gql(
        RICH,
        {
            "c": {
                "customerId": "c-2",
                "name": "Acme",
                "email": "billing@acme.com",
                "couponRefId": "coupon-id",
                "additionalMetaData": {"tier": "gold", "seats": 3},
            },
            "s": {
                "customerId": "c-2",
                "planId": "plan-revvenu-growth",
                "billingPeriod": "MONTHLY",
                "billableFeatures": [{"featureId": "feature-01-templates", "quantity": 4}],
                "addons": [{"addonId": "addon-10-campaigns", "quantity": 2}],
            },
            "p": {
                "customerId": "c-2",
                "promotionalEntitlements": [
                    {"featureId": "feature-02-campaigns", "period": "ONE_MONTH", "usageLimit": 7}
                ],
            },
        },
    )
    subscription: str = answer["provisionSubscriptionV2"]["subscription"]["subscriptionId"]
    return subscription


def _answered_by_its_plan(
    client: TestClient,
    api_key: str,
    paths: Paths,
    document: str,
    variables: dict[str, Any],
    subscription: str,
) -> None:
    """``document`` answered without an error, by its plan as by the full path
    (SUBSCRIPTION in ``variables`` stands for ``subscription``'s id)."""
    filled = json.loads(json.dumps(variables).replace("SUBSCRIPTION", subscription))

    (status, body), used = both(client, api_key, paths, {"query": document, "variables": filled})

    assert status == 200
    answer = json.loads(body)
    assert "errors" not in answer, answer
    assert used


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        (GET_CUSTOMER, {"input": {"customerId": "c-2"}}),
        (GET_CUSTOMER, {"input": {"customerId": "c-1"}}),
        ("""query($id: String!) { a: getCustomerByRefId(input: {customerId: $id}) {
              customerId coupon { refId } promotionalEntitlements { featureId usageLimit } }
            b: getCustomerByRefId(input: {customerId: "c-1"}) { customerId __typename } }""",
         {"id": "c-2"}),
        (GET_SUBSCRIPTION, {"input": {"subscriptionId": "SUBSCRIPTION"}}),
        # without the customer's promotions: left unread
        ("""query($input: GetSubscriptionInput!) { getSubscription(input: $input) {
              subscriptionId status customer { customerId email }
              addons { quantity addon { refId } } prices { billingModel } } }""",
         {"input": {"subscriptionId": "SUBSCRIPTION"}}),
    ],
)  # fmt: skip
def test_reads_are_answered_by_their_plan_as_the_full_path_answers(
    client: TestClient,
    api_key: str,
    paths: Paths,
    customer: str,
    rich: str,
    document: str,
    variables: dict[str, Any],
) -> None:
    _answered_by_its_plan(client, api_key, paths, document, variables, rich)


def test_a_subscription_read_runs_three_statements(
    engine: Engine,
    client: TestClient,
    api_key: str,
    paths: Paths,
    rich: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The subscription with its customer, the quantities and addons bought together, the
    customer's coupon; the key and the catalog's versions come from caches."""
    # The key's cache entry stays young however long a loaded machine takes between
    # the two requests (past half a second it is checked again, past one read again).
    seen_at = key_cache.monotonic()
    monkeypatch.setattr(key_cache, "monotonic", lambda: seen_at)
    body = {"query": GET_SUBSCRIPTION, "variables": {"input": {"subscriptionId": rich}}}
    _post(client, api_key, body)  # the caches filled
    before = paths.planned
    with statements(engine) as seen:
        status, answer = _post(client, api_key, body)
    assert (status, paths.planned) == (200, before + 1), answer
    selects = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    tables = sorted(tuple(sorted(re.findall(r"\bFROM\s+\"?(\w+)", s))) for s in selects)
    assert tables == [
        ("coupon",),
        ("subscription",),
        ("subscription_addon", "subscription_feature_quantity"),
    ], selects


def test_a_read_sees_the_change_committed_before_it(
    gql: GraphQL, client: TestClient, api_key: str, paths: Paths, rich: str
) -> None:
    body = {"query": GET_CUSTOMER, "variables": {"input": {"customerId": "c-2"}}}
    _, used = both(client, api_key, paths, body)
    assert used
    gql(
        "mutation($i: UpdateCustomerInput!) { updateOneCustomer(input: $i) { customerId } }",
        {"i": {"customerId": "c-2", "name": "Acme Holdings"}},
    )

    before = paths.planned
    _, answer = _post(client, api_key, body)

    assert paths.planned == before + 1
    assert json.loads(answer)["data"]["getCustomerByRefId"]["name"] == "Acme Holdings"


@pytest.mark.parametrize(
    "body",
    [
        {"query": GET_CUSTOMER, "variables": {"input": {"customerId": "nobody"}}},
        {"query": GET_SUBSCRIPTION, "variables": {"input": {"subscriptionId": "nothing"}}},
        {"query": GET_CUSTOMER, "variables": {"input": {"customerId": 7}}},
    ],
)
def test_a_read_that_fails_is_answered_by_the_full_path_with_its_error(
    client: TestClient, api_key: str, paths: Paths, rich: str, body: dict[str, Any]
) -> None:
    taught = {"query": body["query"], "variables": {"input": {"customerId": "c-2"}}}
    if "subscriptionId" in body["variables"]["input"]:
        taught["variables"] = {"input": {"subscriptionId": rich}}
    _, used = both(client, api_key, paths, taught)
    assert used

    (status, answer), used = both(client, api_key, paths, body)

    assert not used
    assert status < 500
    assert json.loads(answer)["errors"][0]["extensions"]["code"] in (
        "CUSTOMER_NOT_FOUND",
        "SUBSCRIPTION_NOT_FOUND",
        "BAD_USER_INPUT",
    )


# Estimates: mutations that only read, on plans too. They price from now: the clock
# stands still for them, so both paths price the same moment.


@pytest.fixture
def still() -> Iterator[None]:
    clock.set_clock(clock.FrozenClock(datetime.now(UTC).replace(microsecond=0)))
    yield
    clock.set_clock(None)


ESTIMATE = (SEEDS / "EstimateSubscription.graphql").read_text()
ESTIMATE_UPDATE = (SEEDS / "EstimateSubscriptionUpdate.graphql").read_text()


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        (ESTIMATE, {"input": {
            "customerId": "c-2", "planId": "plan-revvenu-essentials", "billingPeriod": "MONTHLY",
            "billableFeatures": [{"featureId": "feature-01-templates", "quantity": 2}],
            "addons": [{"addonId": "addon-10-campaigns", "quantity": 2}],
            "billingCountryCode": "DK"}}),
        (ESTIMATE_UPDATE, {"input": {
            "subscriptionId": "SUBSCRIPTION",
            "billableFeatures": [{"featureId": "feature-01-templates", "quantity": 7}],
            "addons": [{"addonId": "addon-10-campaigns", "quantity": 2}]}}),
        # two estimates in one mutation, run one after the other as the full path runs them
        ("""mutation($u: EstimateSubscriptionUpdateInput!) {
              a: estimateSubscriptionUpdate(input: $u) { subTotal { amount currency } }
              __typename
              b: estimateSubscriptionUpdate(input: $u) { total { amount } } }""",
         {"u": {"subscriptionId": "SUBSCRIPTION",
                "billableFeatures": [{"featureId": "feature-01-templates", "quantity": 9}]}}),
    ],
)  # fmt: skip
@pytest.mark.usefixtures("still")
def test_estimates_are_answered_by_their_plan_as_the_full_path_answers(
    client: TestClient,
    api_key: str,
    paths: Paths,
    rich: str,
    document: str,
    variables: dict[str, Any],
) -> None:
    _answered_by_its_plan(client, api_key, paths, document, variables, rich)


def test_a_write_without_a_planned_answer_is_never_planned(
    client: TestClient, api_key: str, paths: Paths, rich: str
) -> None:
    document = """mutation($i: ReportUsageInput!, $u: EstimateSubscriptionUpdateInput!) {
      reportUsage(input: $i) { currentUsage }
      estimateSubscriptionUpdate(input: $u) { total { amount } } }"""
    variables = {
        "i": {"customerId": "c-2", "featureId": "feature-02-campaigns", "value": 1},
        "u": {"subscriptionId": rich},
    }
    usages = []
    for _ in range(3):
        status, body = _post(client, api_key, {"query": document, "variables": variables})
        assert status == 200, body
        usages.append(json.loads(body)["data"]["reportUsage"]["currentUsage"])

    assert paths.planned == 0
    assert usages == [1, 2, 3]


@pytest.mark.usefixtures("still")
def test_an_estimate_refused_is_answered_by_the_full_path_with_its_error(
    client: TestClient, api_key: str, paths: Paths, rich: str
) -> None:
    body = {
        "query": ESTIMATE_UPDATE,
        "variables": {"input": {"subscriptionId": rich, "addons": [
            {"addonId": "addon-10-campaigns", "quantity": 2}]}},
    }  # fmt: skip
    _, used = both(client, api_key, paths, body)
    assert used
    body["variables"]["input"]["addons"][0]["quantity"] = 1000

    (status, answer), used = both(client, api_key, paths, body)

    assert not used
    assert status == 200
    assert json.loads(answer)["errors"][0]["extensions"]["code"] != "INTERNAL_SERVER_ERROR"


# provisionCustomer: a write on a plan, answered inside its own transaction.

PROVISION_ONE = """mutation($input: ProvisionCustomerInput!) {
  provisionCustomer(input: $input) {
    customer { customerId name email billingId coupon { refId } additionalMetaData }
    subscriptionDecisionStrategy
  }
}"""


def _provision(customer_id: str, **fields: Any) -> dict[str, Any]:
    return {"query": PROVISION_ONE, "variables": {"input": {"customerId": customer_id, **fields}}}


def _stored(engine: Engine, customer_id: str) -> list[tuple[str | None, str | None]]:
    from sqlmodel import Session, select

    from app.models import Customer

    with Session(engine) as session:
        query = select(Customer.name, Customer.email).where(Customer.customer_id == customer_id)
        return [(row[0], row[1]) for row in session.exec(query)]


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "Acme", "email": "billing@acme.com"},
        {"name": "Acme", "additionalMetaData": {"tier": "gold", "seats": 3}},
        {"email": "only@acme.com"},
    ],
)
def test_a_provision_is_answered_by_its_plan_as_the_full_path_answers(
    engine: Engine, client: TestClient, api_key: str, paths: Paths, fields: dict[str, Any]
) -> None:
    # Taught by one customer's provision; each later provision is a new customer.
    _post(client, api_key, _provision("taught", **fields))
    before = paths.planned

    status, body = _post(client, api_key, _provision("c-new", **fields))

    assert (status, paths.planned) == (200, before + 1), body
    assert _stored(engine, "c-new") == [(fields.get("name"), fields.get("email"))]
    # Provisioning again is an update to the same fields: the full path answers the same.
    (status, again), used = both(client, api_key, paths, _provision("c-new", **fields))
    assert (status, used) == (200, True)
    assert again == body
    assert json.loads(body)["data"]["provisionCustomer"]["customer"]["customerId"] == "c-new"


def test_a_planned_write_whose_answer_cannot_be_written_stores_nothing(
    engine: Engine,
    client: TestClient,
    api_key: str,
    paths: Paths,
    environment: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.graphql.schema import build_schema

    _post(client, api_key, _provision("taught", name="Acme"))
    plans = build_schema().plans

    def unwritable(_fields: Any, _source: Any) -> dict[str, Any]:
        raise compiled._FullPath

    monkeypatch.setattr(compiled, "_render", unwritable)
    body = json.dumps(_provision("c-rolled-back", name="Acme")).encode()

    assert client.portal.call(plans.answer, body, environment) is None  # type: ignore[union-attr]
    assert _stored(engine, "c-rolled-back") == []


def test_a_provision_the_plan_leaves_to_the_full_path_is_made_once_there(
    engine: Engine, client: TestClient, api_key: str, paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    _post(client, api_key, _provision("taught", name="Acme"))
    before = paths.planned
    real = compiled._render
    failed: list[bool] = []

    def once(fields: Any, source: Any) -> dict[str, Any]:
        if not failed:
            failed.append(True)
            raise compiled._FullPath
        return real(fields, source)

    monkeypatch.setattr(compiled, "_render", once)
    with statements(engine) as seen:
        status, body = _post(client, api_key, _provision("c-once", name="Acme"))

    assert (status, paths.planned) == (200, before), body
    assert json.loads(body)["data"]["provisionCustomer"]["customer"]["name"] == "Acme"
    assert _stored(engine, "c-once") == [("Acme", None)]
    # The plan's insert, rolled back, then the full path's.
    assert len([s for s in seen if s.lstrip().upper().startswith("INSERT INTO CUSTOMER")]) == 2


@pytest.mark.parametrize(
    "fields",
    [
        {"subscriptionParams": {"planId": "plan-revvenu-free"}},
        {"name": "Acme", "couponRefId": "no-such-coupon"},
    ],
)
def test_provisions_a_plan_does_not_make_are_answered_by_the_full_path(
    engine: Engine, client: TestClient, api_key: str, paths: Paths, fields: dict[str, Any]
) -> None:
    _post(client, api_key, _provision("taught", name="Acme"))
    before = paths.planned

    status, body = _post(client, api_key, _provision("c-full", **fields))

    assert paths.planned == before
    answer = json.loads(body)
    if "subscriptionParams" in fields:
        assert status == 200
        strategy = answer["data"]["provisionCustomer"]["subscriptionDecisionStrategy"]
        assert strategy != "SKIPPED_SUBSCRIPTION_CREATION"
    else:  # refused, and nothing stored
        assert answer["errors"][0]["extensions"]["code"] != "INTERNAL_SERVER_ERROR"
        assert _stored(engine, "c-full") == []


def test_a_writes_arguments_as_coerced_are_what_as_dict_makes_of_strawberrys() -> None:
    from graphql import parse
    from graphql.execution.values import get_argument_values, get_variable_values
    from strawberry.types.arguments import convert_arguments

    from app.graphql.context import as_dict
    from app.graphql.execution import DEFINITION_BACKREF
    from app.graphql.schema import build_schema

    schema = build_schema()
    plans = schema.plans
    plan = compiled.compile_plan(plans.schema, parse(PROVISION_ONE), plans.answers)
    assert plan is not None
    root = plan.roots[0]
    assert isinstance(root, compiled._Root)
    given = {
        "customerId": "c-9",
        "name": None,
        "email": "a@acme.com",
        "additionalMetaData": {"nested": {"list": [1, 2.5, None, "x"]}},
        "excludeFromExperiment": False,
        "billingInformation": {
            "billingAddress": {"city": "Aarhus", "country": "DK"},
            "taxIds": [{"type": "eu_vat", "value": "DK12345678"}],
            "metadata": {"k": "v"},
            "currency": "usd",
        },
        "subscriptionParams": {
            "planId": "plan-revvenu-essentials",
            "billingPeriod": "ANNUALLY",
            "billableFeatures": [{"featureId": "feature-01-templates", "quantity": 2}],
        },
    }
    coerced = get_variable_values(
        plans.schema, plan.operation.variable_definitions, {"input": given}
    )
    assert not isinstance(coerced, list), coerced
    as_coerced = get_argument_values(root.field, root.node, coerced)
    converted = convert_arguments(
        as_coerced,
        root.field.extensions[DEFINITION_BACKREF].arguments,
        scalar_registry=schema.schema_converter.scalar_registry,
        config=schema.config,
    )

    assert as_coerced["input"] == as_dict(converted["input"])
    assert as_coerced["input"]["subscriptionParams"]["billingPeriod"] == "ANNUALLY"


def test_the_billed_items_are_the_views_lines_with_a_quantity(
    engine: Engine, rich: str, customer: str
) -> None:
    from sqlmodel import Session, select

    from app.models import Subscription
    from app.subscriptions import views

    with Session(engine) as session:
        rows = list(session.exec(select(Subscription)))
        assert len(rows) >= 2  # the free plan's and the growth plan's with an addon
        for row in rows:
            shown = views.load(session, row)
            lines = [*shown.plan_prices, *shown.addon_prices]
            expected = tuple((line.price.id, line.quantity) for line in lines if line.quantity > 0)
            assert views.billed_items(session, row) == expected
            if row.ref_id == rich:
                assert len(expected) >= 2
                assert len(shown.addon_prices) >= 1
