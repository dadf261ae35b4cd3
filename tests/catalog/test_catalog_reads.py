"""Requests that only read take catalog rows from the process, and see every apply."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.catalog import reads
from app.catalog.schemas import load_catalog
from app.catalog.service import apply_catalog
from app.environments import key_cache
from app.models import Environment, Package
from tests.conftest import EXAMPLE_CATALOG, GraphQL, statements

CATALOG_TABLES = re.compile(r"\bFROM (package|package_price|product|feature)\b")
SUBSCRIPTION = """
query($input: GetSubscriptionInput!) {
  getSubscription(input: $input) {
    plan { refId displayName }
    prices { price { price { amount } feature { refId displayName } } }
    totalPrice { total { amount } }
  }
}
"""
ESTIMATE = """
mutation($input: EstimateSubscriptionInput!) {
  estimateSubscription(input: $input) { total { amount } }
}
"""
ESTIMATE_INPUT = {
    "customerId": "reads-01",
    "planId": "plan-revvenu-essentials",
    "billingPeriod": "MONTHLY",
    "billableFeatures": [{"featureId": "feature-01-templates", "quantity": 3}],
}


def subscribed(gql: GraphQL) -> str:
    gql(
        "mutation($input: ProvisionCustomerInput!) { provisionCustomer(input: $input) "
        "{ customer { customerId } } }",
        {"input": {"customerId": "reads-01"}},
    )
    made = gql(
        "mutation($input: ProvisionSubscriptionInput!) { provisionSubscriptionV2(input: $input)"
        " { subscription { refId } } }",
        {
            "input": {
                "customerId": "reads-01",
                "planId": "plan-revvenu-growth",
                "billingPeriod": "MONTHLY",
                "billableFeatures": [{"featureId": "feature-01-templates", "quantity": 2}],
                "addons": [{"addonId": "addon-10-campaigns", "quantity": 1}],
            }
        },
    )
    ref: str = made["provisionSubscriptionV2"]["subscription"]["refId"]
    return ref


def example_with(old: str, new: str) -> Any:
    text = EXAMPLE_CATALOG.read_text()
    assert old in text
    return load_catalog(text.replace(old, new, 1), EXAMPLE_CATALOG.name)


@pytest.mark.usefixtures("catalog_applied")
def test_a_repeated_read_queries_no_catalog_table(gql: GraphQL, engine: Engine) -> None:
    ref = subscribed(gql)
    first = gql(SUBSCRIPTION, {"input": {"subscriptionId": ref}})
    gql(ESTIMATE, {"input": ESTIMATE_INPUT})
    with statements(engine) as seen:
        again = gql(SUBSCRIPTION, {"input": {"subscriptionId": ref}})
        gql(ESTIMATE, {"input": ESTIMATE_INPUT})
    assert again == first
    assert seen, "the reads ran no statement at all"
    assert [s for s in seen if CATALOG_TABLES.search(s)] == []


@pytest.mark.usefixtures("catalog_applied")
def test_a_mutation_reads_the_catalog_itself(gql: GraphQL, engine: Engine) -> None:
    ref = subscribed(gql)
    gql(SUBSCRIPTION, {"input": {"subscriptionId": ref}})
    with statements(engine) as seen:
        gql(
            "mutation($input: UpdateSubscriptionInput!) { updateOneSubscription(input: $input)"
            " { refId } }",
            {
                "input": {
                    "subscriptionId": ref,
                    "billableFeatures": [{"featureId": "feature-01-templates", "quantity": 4}],
                }
            },
        )
    assert [s for s in seen if CATALOG_TABLES.search(s)]


@pytest.mark.usefixtures("catalog_applied")
def test_an_apply_in_this_process_is_seen_by_the_next_read(
    gql: GraphQL, session: Session, environment: Environment, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The key's environment (and the catalog version it names) stays as first read.
    monkeypatch.setattr(key_cache, "monotonic", lambda: 1000.0)
    subscribed(gql)
    before = gql(ESTIMATE, {"input": ESTIMATE_INPUT})["estimateSubscription"]["total"]
    # The essentials plan's flat monthly fee goes up: a new version, the latest.
    fee = (
        "displayName: Essentials\n    description: For small teams running regular campaigns\n"
        "    pricingType: PAID\n    prices:\n      - billingPeriod: MONTHLY\n"
        "        billingModel: FLAT_FEE\n        amount: "
    )
    changed = example_with(f"{fee}10\n", f"{fee}110\n")
    apply_catalog(session, environment, changed)
    session.commit()
    after = gql(ESTIMATE, {"input": ESTIMATE_INPUT})["estimateSubscription"]["total"]
    assert after["amount"] == before["amount"] + 100


@pytest.mark.usefixtures("catalog_applied")
def test_an_apply_by_another_process_is_seen_once_the_key_is_checked_again(
    gql: GraphQL, engine: Engine, environment: Environment, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(key_cache, "monotonic", lambda: now[0])
    ref = subscribed(gql)
    query = {"input": {"subscriptionId": ref}}
    assert gql(SUBSCRIPTION, query)["getSubscription"]["plan"]["displayName"] == "Growth"
    # Another process's apply: its rows and version change, and this process is not told.
    with engine.begin() as connection:
        connection.execute(
            update(Package)
            .where(Package.ref_id == "plan-revvenu-growth")  # type: ignore[arg-type]
            .values(display_name="Growth (renamed)")
        )
        connection.execute(
            update(Environment)
            .where(Environment.id == environment.id)  # type: ignore[arg-type]
            .values(catalog_version=Environment.catalog_version + 1)
        )
    assert gql(SUBSCRIPTION, query)["getSubscription"]["plan"]["displayName"] == "Growth"
    now[0] += key_cache.KEY_CACHE_SECONDS + 0.01
    renamed = gql(SUBSCRIPTION, query)["getSubscription"]["plan"]["displayName"]
    assert renamed == "Growth (renamed)"


@pytest.mark.usefixtures("catalog_applied")
def test_a_copy_carries_no_stripe_id(session: Session, environment: Environment) -> None:
    plan = session.exec(select(Package).where(Package.ref_id == "plan-revvenu-growth")).first()
    assert plan is not None
    plan.billing_id = "prod_growth"
    session.commit()
    with Session(session.get_bind()) as reading:
        reads.use(reading, environment)
        copy = reads.package(reading, plan.id)
        assert copy is not None
        assert (copy.ref_id, copy.billing_id) == ("plan-revvenu-growth", None)
        assert copy is reads.package(reading, plan.id)
    with Session(session.get_bind()) as writing:
        row = reads.package(writing, plan.id)
        assert row is not None
        assert row.billing_id == "prod_growth"
