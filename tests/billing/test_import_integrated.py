"""Bulk imports into an environment billed in Stripe are refused whole, for now: linking
Stripe customers, attaching cards and creating paid subscriptions from files is not
proven against Stripe. Usage, which Stripe never sees, imports as anywhere else."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from app import db
from app.models import Customer, ImportTask
from tests.conftest import GraphQL
from tests.imports.conftest import START, START_SUBSCRIPTIONS


@pytest.mark.parametrize(
    ("document", "rows"),
    [
        (START, {"customers": [{"customerId": "c-1", "paymentMethodId": "pm_card_visa"}]}),
        (
            START_SUBSCRIPTIONS,
            {"subscriptions": [{"customerId": "c-1", "planId": "basic"}]},
        ),
    ],
)
def test_customers_and_subscriptions_are_refused_and_nothing_is_stored(
    billing_api: GraphQL, document: str, rows: dict[str, object]
) -> None:
    error = billing_api.error(document, {"input": rows})
    assert error["extensions"]["code"] == "NOT_SUPPORTED"
    assert "billed in Stripe" in error["message"]
    with Session(db.get_engine()) as session:
        assert session.exec(select(func.count()).select_from(ImportTask)).one() == 0
        assert session.exec(select(func.count()).select_from(Customer)).one() == 0
