"""Subscription input that Stripe would refuse is refused by the API, before anything is
stored: the Stripe side is made by jobs after the client has been answered."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from app.errors import ValidationFailed
from app.models import Environment
from app.subscriptions import service
from tests.conftest import GraphQL
from tests.graphql.test_subscriptions_api import (
    ESSENTIALS,
    PROVISION_V2,
    customer,
    provision,
    stored,
)

pytestmark = pytest.mark.usefixtures("catalog_applied")

URLS = {"successUrl": "https://example.com/ok", "cancelUrl": "https://example.com/no"}


def _refused(gql: GraphQL, engine: Engine, fields: dict[str, Any]) -> dict[str, Any]:
    customer(gql)
    provision(gql)
    before = stored(engine)
    error = gql.error(PROVISION_V2, {"input": {**ESSENTIALS, **fields}})
    assert stored(engine) == before
    return error


@pytest.mark.parametrize(
    ("options", "field"),
    [
        pytest.param({**URLS, "successUrl": "example.com/ok"}, "successUrl", id="no-scheme"),
        pytest.param({**URLS, "successUrl": "/ok"}, "successUrl", id="relative"),
        pytest.param({**URLS, "cancelUrl": "ftp://example.com/no"}, "cancelUrl", id="ftp"),
        pytest.param({**URLS, "cancelUrl": "https://"}, "cancelUrl", id="no-host"),
        pytest.param(
            {**URLS, "cancelUrl": "https://example.com/a b"}, "cancelUrl", id="inner-space"
        ),
        pytest.param({**URLS, "referenceId": "r" * 201}, "referenceId", id="long-reference"),
    ],
)
def test_checkout_options_stripe_would_refuse_are_refused(
    gql: GraphQL, engine: Engine, options: dict[str, Any], field: str
) -> None:
    error = _refused(gql, engine, {"checkoutOptions": options})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == f"input.checkoutOptions.{field}"


def test_checkout_options_stripe_takes_are_taken(gql: GraphQL) -> None:
    customer(gql)
    options = {
        **URLS,
        "successUrl": "http://localhost:3000/done?session={CHECKOUT_SESSION_ID}",
        "referenceId": "r" * 200,
        "allowPromoCodes": True,
        "collectPhoneNumber": False,
    }
    assert provision(gql, checkoutOptions=options)["status"] == "SUCCESS"


def test_unknown_checkout_options_are_refused(session: Session, environment: Environment) -> None:
    """GraphQL refuses unknown keys itself; the service does too, for its other callers."""
    data = {**ESSENTIALS, "checkoutOptions": {**URLS, "locale": "da"}}
    with pytest.raises(ValidationFailed) as refused:
        service.provision_subscription(session, environment, data)
    assert refused.value.field == "input.checkoutOptions.locale"


def test_a_ref_id_over_255_characters_is_refused(gql: GraphQL, engine: Engine) -> None:
    error = _refused(gql, engine, {"refId": "s" * 256})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "input.refId"
