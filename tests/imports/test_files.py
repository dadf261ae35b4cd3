"""The platform's own example files import as they are."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.imports.schemas import FileInvalid, as_input, read_file
from app.models import Customer, FeatureUsage, Subscription
from tests.conftest import GraphQL
from tests.imports.conftest import FILES, run_import


def test_the_example_files_import_without_an_edit(import_api: GraphQL, session: Session) -> None:
    def rows(name: str, key: str) -> list[object]:
        return [as_input(row) for row in read_file((FILES / name).read_text(), key, name)]

    customers = rows("customers.json", "customers")
    subscriptions = rows("subscriptions.json", "subscriptions")
    usages = rows("usage.json", "usages")

    assert run_import(import_api, "customers", customers)["created"] == 1
    assert run_import(import_api, "subscriptions", subscriptions)["created"] == 1
    assert run_import(import_api, "usages", usages)["created"] == 1

    customer = session.exec(select(Customer)).one()
    assert (customer.customer_id, customer.name, customer.billing_id) == (
        "lorem-ipsum",
        "Lorem-ipsum",
        "cus_MvdQq1bVD1BQHe",
    )
    assert customer.additional_metadata == {"isTest": "true"}
    subscription = session.exec(select(Subscription)).one()
    assert subscription.resource_id == "site-1"
    assert subscription.status == "CANCELED"  # its endDate is in the past
    assert session.exec(select(FeatureUsage)).one().usage == 5


def test_a_file_that_is_not_json5_is_refused_with_its_name() -> None:
    with pytest.raises(FileInvalid, match=r"customers\.json"):
        read_file("{customers: [", "customers", "customers.json")


def test_a_file_without_its_list_is_refused() -> None:
    with pytest.raises(FileInvalid, match='"usages" list'):
        read_file("{usage: []}", "usages", "usage.json")
