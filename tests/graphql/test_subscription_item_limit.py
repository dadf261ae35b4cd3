"""Stripe takes at most 20 items on a subscription: one per price the subscription pays.

The API refuses a provision or update that would pay more, before anything is stored,
since the Stripe subscription is made by a job after the client has been answered.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from app.models import Environment
from tests.conftest import GraphQL
from tests.graphql.test_subscriptions_api import PROVISION_V2, UPDATE, customer, stored
from tests.subscriptions.factories import apply, price

ADDONS = [f"addon-{n:02}" for n in range(1, 21)]


@pytest.fixture
def many_addons(session: Session, environment: Environment) -> None:
    """A plan with a flat fee and a per-seat price, and 20 addons of one price each."""
    apply(
        session,
        environment,
        {
            "products": [{"id": "app", "displayName": "App"}],
            "features": [
                {
                    "id": "seats",
                    "displayName": "Seats",
                    "featureType": "NUMBER",
                    "meterType": "Fluctuating",
                }
            ],
            "plans": [
                {
                    "id": "big",
                    "product": "app",
                    "displayName": "Big",
                    "pricingType": "PAID",
                    "prices": [
                        price("MONTHLY", "10"),
                        price("MONTHLY", "2", billingModel="PER_UNIT", feature="seats"),
                    ],
                    "compatibleAddons": ADDONS,
                }
            ],
            "addons": [
                {"id": ref, "product": "app", "displayName": ref, "prices": [price("MONTHLY", "1")]}
                for ref in ADDONS
            ],
        },
    )


def _input(addons: list[str]) -> dict[str, Any]:
    return {
        "customerId": "c-1",
        "planId": "big",
        "billingPeriod": "MONTHLY",
        "billableFeatures": [{"featureId": "seats", "quantity": 3}],
        "addons": [{"addonId": ref} for ref in addons],
    }


@pytest.mark.usefixtures("many_addons")
def test_twenty_priced_items_are_taken(gql: GraphQL) -> None:
    customer(gql)
    result = gql(PROVISION_V2, {"input": _input(ADDONS[:18])})["provisionSubscriptionV2"]
    assert len(result["subscription"]["addons"]) == 18


@pytest.mark.usefixtures("many_addons")
def test_a_provision_over_twenty_priced_items_is_refused(gql: GraphQL, engine: Engine) -> None:
    customer(gql)
    error = gql.error(PROVISION_V2, {"input": _input(ADDONS[:19])})
    assert error["extensions"]["code"] == "TOO_MANY_SUBSCRIPTION_ITEMS"
    assert error["extensions"]["field"] == "input.addons"
    assert "21" in error["message"]
    assert stored(engine) == []


@pytest.mark.usefixtures("many_addons")
def test_an_update_over_twenty_priced_items_is_refused(gql: GraphQL, engine: Engine) -> None:
    customer(gql)
    created = gql(PROVISION_V2, {"input": _input(ADDONS[:2])})["provisionSubscriptionV2"]
    before = stored(engine)
    addons = [{"addonId": ref} for ref in ADDONS]
    error = gql.error(
        UPDATE, {"input": {"subscriptionId": created["subscription"]["refId"], "addons": addons}}
    )
    assert error["extensions"]["code"] == "TOO_MANY_SUBSCRIPTION_ITEMS"
    assert error["extensions"]["field"] == "input.addons"
    assert stored(engine) == before
