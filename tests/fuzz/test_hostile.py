"""Hand-written hostile and careless requests, each held to the fuzz suite's oracle
(tests/fuzz/checks.py): no 500, no internal error, no leak, under 2 s, and nothing
stored when refused. Each was an incident once, or is one a client will try."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.fuzz.checks import TALLY, check
from tests.fuzz.conftest import CUSTOMER, SUBSCRIPTION

GET_CUSTOMER = "query($id: String!) { getCustomerByRefId(input: {customerId: $id}) { customerId } }"
PROVISION_CUSTOMER = (
    "mutation($input: ProvisionCustomerInput!) { provisionCustomer(input: $input) "
    "{ customer { id } } }"
)
PROVISION = (
    "mutation($input: ProvisionSubscriptionInput!) { provisionSubscriptionV2(input: $input) "
    "{ status subscription { refId } } }"
)
UPDATE = (
    "mutation($input: UpdateSubscriptionInput!) { updateOneSubscription(input: $input) { refId } }"
)
REPORT_USAGE = "mutation($input: ReportUsageInput!) { reportUsage(input: $input) { id } }"


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth):
        value = {"k": value}
    return value


def _json(query: str, variables: dict[str, Any] | None = None) -> bytes:
    return json.dumps({"query": query, "variables": variables or {}}).encode()


def _subscription(**fields: Any) -> bytes:
    base = {"customerId": CUSTOMER, "planId": "plan-revvenu-free"}
    return _json(PROVISION, {"input": {**base, **fields}})


def _aliases(count: int, field: str) -> bytes:
    return _json("mutation { " + " ".join(f"a{n}: {field}" for n in range(count)) + " }")


def _chunks() -> Iterator[bytes]:
    yield b'{"query": "{ __typename }", "pad": "'
    for _ in range(40):
        yield b"x" * 65_536
    yield b'"}'


# (name, body, content type); bodies are posted to /graphql with the API key.
POSTS: list[tuple[str, Any, str]] = [
    (
        "json-nested-3000-deep",
        b'{"query": "{ __typename }", "variables": ' + b"[" * 3000 + b"]" * 3000 + b"}",
        "application/json",
    ),
    ("invalid-utf8", b'{"query": "{ __typename }", "x": "\xff\xfe"}', "application/json"),
    (
        "integer-of-5000-digits",
        b'{"query": "{ __typename }", "variables": {"n": ' + b"9" * 5000 + b"}}",
        "application/json",
    ),
    ("nul-in-variables", _json(GET_CUSTOMER, {"id": "c\x00"}), "application/json"),
    (
        "nul-in-a-literal",
        _json('{ getCustomerByRefId(input: {customerId: "c\\u0000"}) { customerId } }'),
        "application/json",
    ),
    ("unpaired-surrogate-id", _json(GET_CUSTOMER, {"id": "c\ud800"}), "application/json"),
    ("ref-id-of-300", _subscription(refId="r" * 300), "application/json"),
    ("taken-ref-id", _subscription(refId=SUBSCRIPTION), "application/json"),
    ("start-date-9999", _subscription(startDate="9999-12-31T23:59:59Z"), "application/json"),
    ("start-date-year-1", _subscription(startDate="0001-01-01T00:00:00+01:00"), "application/json"),
    ("metadata-500-deep", _subscription(additionalMetaData=_nested(500)), "application/json"),
    (
        "metadata-10000-keys",
        _subscription(additionalMetaData={f"k{n}": "v" for n in range(10_000)}),
        "application/json",
    ),
    (
        "metadata-value-600kb",
        _subscription(additionalMetaData={"big": "x" * 600_000}),
        "application/json",
    ),
    (
        "update-metadata-10000-keys",
        _json(
            UPDATE,
            {
                "input": {
                    "subscriptionId": SUBSCRIPTION,
                    "additionalMetaData": {f"k{n}": "v" for n in range(10_000)},
                }
            },
        ),
        "application/json",
    ),
    (
        "billable-features-10000",
        _subscription(billableFeatures=[{"featureId": "f", "quantity": 1}] * 10_000),
        "application/json",
    ),
    (
        "billable-features-100000",
        _subscription(billableFeatures=[{"featureId": "f", "quantity": 1}] * 100_000),
        "application/json",
    ),
    (
        "tax-ids-10000",
        _json(
            PROVISION_CUSTOMER,
            {
                "input": {
                    "customerId": "t-1",
                    "billingInformation": {
                        "taxIds": [{"type": "eu_vat", "value": "DE123456789"}] * 10_000
                    },
                }
            },
        ),
        "application/json",
    ),
    (
        "900-provision-customer-aliases",
        _json(
            "mutation { "
            + " ".join(
                f'c{n}: provisionCustomer(input: {{customerId: "m-{n}"}}) {{ customer {{ id }} }}'
                for n in range(900)
            )
            + " }"
        ),
        "application/json",
    ),
    (
        "1000-mutation-aliases",
        _aliases(1000, 'archiveCustomer(input: {customerId: "x"}) { customerId }'),
        "application/json",
    ),
    (
        "5000-aliases",
        _json("{ " + " ".join(f"a{n}: __typename" for n in range(5000)) + " }"),
        "application/json",
    ),
    ("no-content-type", _json("{ __typename }"), ""),
    ("3000-same-fields", _json("{ " + "__typename " * 3000 + "}"), "application/json"),
    ("depth-20", _json("{ a " + "{ a " * 20 + "}" * 21), "application/json"),
    ("tokens-20000", _json("{ " + "__typename " * 20_000 + "}"), "application/json"),
    (
        "literal-1500-deep",
        _json("{ a(x: " + "{a: " * 1500 + "1" + "}" * 1500 + ") }"),
        "application/json",
    ),
    ("unknown-fragment", _json("{ ...Missing }"), "application/json"),
    (
        "fragment-cycle",
        _json("query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }"),
        "application/json",
    ),
    (
        "two-operations-unnamed",
        _json("query A { __typename } query B { __typename }"),
        "application/json",
    ),
    (
        "unknown-operation-name",
        json.dumps({"query": "query A { __typename }", "operationName": "B" * 10_000}).encode(),
        "application/json",
    ),
    ("body-empty", b"", "application/json"),
    ("body-null", b"null", "application/json"),
    ("body-array", b"[]", "application/json"),
    ("body-batch", json.dumps([{"query": "{ __typename }"}] * 1000).encode(), "application/json"),
    ("body-string", b'"query"', "application/json"),
    ("body-object-empty", b"{}", "application/json"),
    ("query-not-a-string", b'{"query": 5}', "application/json"),
    ("query-null", b'{"query": null}', "application/json"),
    ("variables-a-string", b'{"query": "{ __typename }", "variables": "x"}', "application/json"),
    ("variables-a-list", b'{"query": "{ __typename }", "variables": [1]}', "application/json"),
    ("bom-prefixed", b"\xef\xbb\xbf" + _json("{ __typename }"), "application/json"),
    ("text-plain", b"{ __typename }", "text/plain"),
    ("form-urlencoded", b"query=%7B__typename%7D", "application/x-www-form-urlencoded"),
    ("multipart", b"--x\r\n\r\n--x--", "multipart/form-data; boundary=x"),
    ("multipart-no-boundary", b"--x--", "multipart/form-data"),
    (
        "nan-usage",
        b'{"query": "mutation($input: ReportUsageInput!) { reportUsage(input: $input) { id } }",'
        b' "variables": {"input": {"customerId": "fz-customer",'
        b' "featureId": "feature-02-campaigns", "value": NaN}}}',
        "application/json",
    ),
    (
        "infinite-usage",
        b'{"query": "mutation($input: ReportUsageInput!) { reportUsage(input: $input) { id } }",'
        b' "variables": {"input": {"customerId": "fz-customer",'
        b' "featureId": "feature-02-campaigns", "value": 1e999}}}',
        "application/json",
    ),
    (
        "usage-of-1e300",
        _json(
            REPORT_USAGE,
            {
                "input": {
                    "customerId": CUSTOMER,
                    "featureId": "feature-02-campaigns",
                    "value": 1e300,
                }
            },
        ),
        "application/json",
    ),
    ("chunked-over-the-limit", _chunks, "application/json"),
    # Last: it replaces the world's subscription, which the cases above name.
    ("replacing-with-a-ref-id-of-255", _subscription(refId="r" * 255), "application/json"),
]


def _post(client: TestClient, api_key: str, body: Any, content_type: str) -> Callable[[], Any]:
    headers = {"X-API-KEY": api_key}
    if content_type:
        headers["content-type"] = content_type
    return lambda: client.post(
        "/graphql", content=body() if callable(body) else body, headers=headers
    )


# (name, query parameters, extra headers) of GET requests.
GETS: list[tuple[str, dict[str, str], dict[str, str]]] = [
    (
        "get-mutation",
        {"query": 'mutation { archiveCustomer(input: {customerId: "x"}) { id } }'},
        {},
    ),
    ("get-nul-variable", {"query": GET_CUSTOMER, "variables": json.dumps({"id": "a\x00"})}, {}),
    ("get-bad-variables", {"query": GET_CUSTOMER, "variables": "{not json"}, {}),
    ("get-raw-nul-query", {"query": "{ __typename \x00 }"}, {}),
    ("api-key-with-nul", {"query": "{ __typename }", "apiKey": "k\x00ey"}, {"X-API-KEY": ""}),
    ("api-key-10000", {"query": "{ __typename }", "apiKey": "k" * 10_000}, {"X-API-KEY": ""}),
    ("request-id-huge", {"query": "{ __typename }"}, {"X-Request-ID": "r" * 8000}),
]


def _get(
    client: TestClient, api_key: str, params: dict[str, str], headers: dict[str, str]
) -> Callable[[], Any]:
    sent = {"X-API-KEY": api_key, **headers}
    if not sent["X-API-KEY"]:
        del sent["X-API-KEY"]
    return lambda: client.get("/graphql", params=params, headers=sent)


@pytest.mark.usefixtures("world")
def test_every_hostile_request_is_answered_cleanly(
    client: TestClient, api_key: str, engine: Engine
) -> None:
    # One service for every case; each failure is kept and all are reported together.
    sends = [(name, _post(client, api_key, body, kind)) for name, body, kind in POSTS] + [
        (name, _get(client, api_key, params, headers)) for name, params, headers in GETS
    ]
    failures: list[str] = []
    for name, send in sends:
        TALLY.hostile += 1
        try:
            check(engine, (api_key,), send, name)
        except AssertionError as failure:
            failures.append(str(failure))
    assert not failures, "\n".join(failures)
