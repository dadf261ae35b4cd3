"""Retries, timeouts and typed errors, against answers made up by a mock transport."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from billing_sync_sdk import (
    ApiError,
    AsyncBillingSyncClient,
    BillingSync,
    GetCustomerByRefIdInput,
    InvalidInputError,
    NetworkError,
    NotFoundError,
    ProvisionCustomerInput,
    ReportUsageInput,
    RequestTimeout,
    ServerError,
)

Handler = Callable[[httpx.Request], httpx.Response]
CUSTOMER = GetCustomerByRefIdInput(**{"customerId": "c-1"})
REPORT = {"customerId": "c-1", "featureId": "f-1", "value": 1}


def _client(handler: Handler, **options: Any) -> AsyncBillingSyncClient:
    client = BillingSync.create_async_client(
        "bsk_test", "http://billing-sync.test", retry_backoff=0.001, **options
    )
    client.http_client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return client


def _counted(*answers: httpx.Response | Exception) -> tuple[Handler, list[str]]:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content)["operationName"])
        answer = answers[min(len(seen), len(answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler, seen


def _errors(code: str, message: str = "no", **extensions: Any) -> httpx.Response:
    error = {"message": message, "extensions": {"code": code, **extensions}}
    return httpx.Response(200, json={"errors": [error], "data": None})


def _run(call: Any) -> Any:
    return asyncio.run(call)


def test_a_query_is_retried_after_a_5xx() -> None:
    handler, seen = _counted(httpx.Response(503), _errors("CUSTOMER_NOT_FOUND"))
    with pytest.raises(NotFoundError):
        _run(_client(handler).get_customer(CUSTOMER))
    assert seen == ["GetCustomer", "GetCustomer"]


def test_a_query_is_retried_after_a_network_error_up_to_the_limit() -> None:
    handler, seen = _counted(httpx.ConnectError("refused"))
    with pytest.raises(NetworkError):
        _run(_client(handler, max_retries=2).get_customer(CUSTOMER))
    assert len(seen) == 3


def test_a_mutation_without_an_idempotency_key_is_sent_once() -> None:
    handler, seen = _counted(httpx.ReadTimeout("slow"))
    with pytest.raises(RequestTimeout):
        _run(_client(handler).provision_customer(ProvisionCustomerInput(customerId="c-1")))
    assert seen == ["ProvisionCustomer"]


def test_a_mutation_with_an_idempotency_key_is_retried() -> None:
    answer = {
        "reportUsage": {
            "id": "u-1",
            "customerId": "c-1",
            "featureId": "f-1",
            "resourceId": None,
            "value": 1,
            "currentUsage": 1,
            "usagePeriodStart": None,
            "usagePeriodEnd": None,
            "nextResetDate": None,
            "timestamp": "2026-01-01T00:00:00Z",
            "createdAt": "2026-01-01T00:00:00Z",
        }
    }
    handler, seen = _counted(httpx.Response(502), httpx.Response(200, json={"data": answer}))
    report = ReportUsageInput(**REPORT, idempotencyKey="k-1")
    done = _run(_client(handler).report_usage(report))
    assert done.report_usage.current_usage == 1
    assert seen == ["ReportUsage", "ReportUsage"]


def test_a_5xx_on_a_mutation_without_a_key_is_a_server_error() -> None:
    handler, seen = _counted(httpx.Response(500, text="boom"))
    with pytest.raises(ServerError) as failed:
        _run(_client(handler).report_usage(ReportUsageInput(**REPORT)))
    assert failed.value.status_code == 500
    assert seen == ["ReportUsage"]


def test_a_graphql_error_carries_its_code_message_and_field() -> None:
    answer = _errors("BAD_USER_INPUT", "input.email: not an address", field="input.email")
    handler, _ = _counted(answer)
    with pytest.raises(InvalidInputError) as refused:
        _run(_client(handler).provision_customer(ProvisionCustomerInput(customerId="c-1")))
    error = refused.value
    assert isinstance(error, ApiError)
    assert (error.code, error.message, error.field) == (
        "BAD_USER_INPUT",
        "input.email: not an address",
        "input.email",
    )


def test_a_refusal_with_an_http_error_status_is_still_typed_by_its_code() -> None:
    error = {"message": "missing API key", "extensions": {"code": "UNAUTHENTICATED"}}
    handler, _ = _counted(httpx.Response(401, json={"errors": [error]}))
    with pytest.raises(ApiError) as refused:
        _run(_client(handler).get_customer(CUSTOMER))
    assert refused.value.code == "UNAUTHENTICATED"
    assert refused.value.status_code == 401
