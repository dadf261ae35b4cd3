"""The import's rules, one behaviour per test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from app.imports import service
from app.imports.schemas import CustomerRow, parse_rows
from app.models import Customer, FeatureUsage, ImportChunk, Subscription
from tests.conftest import GraphQL
from tests.imports.conftest import START, START_SUBSCRIPTIONS, jobs_done, run_import

PLAN_1 = {
    "planId": "plan-1",
    "billingPeriod": "MONTHLY",
    "billableFeatures": [
        {"featureId": "feature-seats", "quantity": 5},
        {"featureId": "feature-projects", "quantity": 25},
    ],
}


def _customers(n: int, **extra: object) -> list[dict[str, object]]:
    return [{"customerId": f"c-{i}", "name": f"Customer {i}", **extra} for i in range(n)]


def test_a_second_run_of_the_same_rows_creates_and_updates_nothing(import_api: GraphQL) -> None:
    rows = _customers(3, metadata=None)
    rows = [{k: v for k, v in r.items() if k != "metadata"} for r in rows]
    subscriptions = [{"customerId": f"c-{i}", "resourceId": "site-1", **PLAN_1} for i in range(3)]
    assert run_import(import_api, "customers", rows)["created"] == 3
    assert run_import(import_api, "subscriptions", subscriptions)["created"] == 3

    again = run_import(import_api, "customers", rows)
    again_subscriptions = run_import(import_api, "subscriptions", subscriptions)

    for summary in (again, again_subscriptions):
        assert (summary["created"], summary["updated"], summary["unchanged"]) == (0, 0, 3)


def test_a_changed_row_updates_the_customer(import_api: GraphQL, session: Session) -> None:
    run_import(import_api, "customers", [{"customerId": "c-1", "name": "Old"}])
    summary = run_import(import_api, "customers", [{"customerId": "c-1", "name": "New"}])
    assert summary["updated"] == 1
    assert session.exec(select(Customer)).one().name == "New"


def test_a_customer_changed_after_the_rows_updated_at_is_skipped(
    import_api: GraphQL, session: Session
) -> None:
    run_import(import_api, "customers", [{"customerId": "c-1", "name": "Kept"}])
    summary = run_import(
        import_api,
        "customers",
        [{"customerId": "c-1", "name": "Older", "updatedAt": "2022-01-01T00:00:00.000Z"}],
    )
    assert summary["skipped"] == 1
    assert "updatedAt" in summary["rows"][0]["reason"]
    assert session.exec(select(Customer)).one().name == "Kept"


def test_invalid_rows_are_listed_by_index_and_field_and_nothing_is_stored(
    import_api: GraphQL, session: Session
) -> None:
    rows = [
        {"customerId": "ok-1"},
        {"customerId": "bad id"},
        {"customerId": "ok-2", "updatedAt": "yesterday"},
        {"customerId": "ok-3", "salesforceId": "sf-1"},
    ]
    error = import_api.error(START, {"input": {"customers": rows}})

    assert error["extensions"]["code"] == "IMPORT_INVALID"
    listed = {(r["index"], r["field"]) for r in error["extensions"]["rows"]}
    assert listed == {
        (1, "input.customers[1].customerId"),
        (2, "input.customers[2].updatedAt"),
        (3, "input.customers[3].salesforceId"),
    }
    assert session.exec(select(Customer)).all() == []


def test_skip_invalid_imports_the_rest_and_reports_the_bad_rows(import_api: GraphQL) -> None:
    rows = [{"customerId": "ok-1"}, {"customerId": "bad id with spaces"}]
    summary = run_import(import_api, "customers", rows, skip_invalid=True)
    assert (summary["created"], summary["failed"]) == (1, 1)
    assert summary["rows"][1]["outcome"] == "FAILED"


def test_a_billing_id_linked_to_another_customer_is_refused(import_api: GraphQL) -> None:
    run_import(import_api, "customers", [{"customerId": "c-1", "billingId": "cus_1"}])
    error = import_api.error(
        START, {"input": {"customers": [{"customerId": "c-2", "billingId": "cus_1"}]}}
    )
    assert error["extensions"]["rows"][0]["field"] == "input.customers[0].billingId"


def test_a_backdated_start_counts_billing_periods_from_it(
    import_api: GraphQL, session: Session
) -> None:
    run_import(import_api, "customers", [{"customerId": "c-1"}])
    start = datetime(2024, 1, 15, tzinfo=UTC)
    run_import(
        import_api,
        "subscriptions",
        [{"customerId": "c-1", "startDate": start.isoformat(), **PLAN_1}],
    )
    subscription = session.exec(select(Subscription)).one()
    assert subscription.start_date == start
    assert subscription.status == "ACTIVE"
    assert subscription.current_billing_period_start.day == 15
    assert subscription.current_billing_period_start > start


def test_an_end_date_schedules_the_end(import_api: GraphQL, session: Session) -> None:
    run_import(import_api, "customers", [{"customerId": "c-1"}])
    end = (datetime.now(UTC) + timedelta(days=40)).replace(microsecond=0)
    run_import(
        import_api, "subscriptions", [{"customerId": "c-1", "endDate": end.isoformat(), **PLAN_1}]
    )
    subscription = session.exec(select(Subscription)).one()
    assert (subscription.status, subscription.effective_end_date) == ("ACTIVE", end)


def test_a_resource_holds_its_own_subscription(import_api: GraphQL, session: Session) -> None:
    run_import(import_api, "customers", [{"customerId": "c-1"}])
    rows = [{"customerId": "c-1", "resourceId": site, **PLAN_1} for site in ("site-1", "site-2")]
    assert run_import(import_api, "subscriptions", rows)["created"] == 2
    held = session.exec(select(Subscription.resource_id, Subscription.status)).all()
    assert sorted(held) == [("site-1", "ACTIVE"), ("site-2", "ACTIVE")]


def test_a_resource_on_a_product_of_one_subscription_is_refused(import_api: GraphQL) -> None:
    run_import(import_api, "customers", [{"customerId": "c-1"}])
    error = import_api.error(
        START_SUBSCRIPTIONS,
        {
            "input": {
                "subscriptions": [{"customerId": "c-1", "planId": "plan-free", "resourceId": "r"}]
            }
        },
    )
    assert error["extensions"]["rows"][0]["field"] == "input.subscriptions[0].resourceId"


def test_another_plan_replaces_the_one_held(import_api: GraphQL, session: Session) -> None:
    run_import(import_api, "customers", [{"customerId": "c-1"}])
    run_import(import_api, "subscriptions", [{"customerId": "c-1", "planId": "plan-free"}])
    summary = run_import(
        import_api,
        "subscriptions",
        [{"customerId": "c-1", "planId": "plan-basic", "billingPeriod": "MONTHLY"}],
    )
    assert summary["created"] == 1
    statuses = sorted(session.exec(select(Subscription.status)).all())
    assert statuses == ["ACTIVE", "CANCELED"]


def test_usage_sets_the_current_usage_in_the_period(import_api: GraphQL, session: Session) -> None:
    run_import(import_api, "customers", [{"customerId": "c-1"}])
    run_import(import_api, "subscriptions", [{"customerId": "c-1", "planId": "plan-free"}])
    row = {"customerId": "c-1", "featureId": "feature-api-calls", "usage": 42}
    assert run_import(import_api, "usages", [row])["created"] == 1
    assert run_import(import_api, "usages", [row])["unchanged"] == 1
    check = import_api(
        """query { entitlement(query: {customerId: "c-1", featureId: "feature-api-calls"}) {
             currentUsage } }"""
    )
    assert check["entitlement"]["currentUsage"] == 42
    assert session.exec(select(FeatureUsage)).one().usage == 42


def test_a_chunk_run_again_after_a_kill_changes_nothing_more(
    import_api: GraphQL, session: Session
) -> None:
    run_import(import_api, "customers", _customers(3))
    chunk = session.exec(select(ImportChunk)).one()
    # A worker killed after its commit but before the broker heard back: the message
    # comes back, and the chunk is found done.
    service.run_chunk(chunk.id)
    # Killed before its commit: the chunk is not done, and runs again from the start.
    chunk.done = False
    session.add(chunk)
    session.commit()
    service.run_chunk(chunk.id)
    jobs_done(import_api)
    session.expire_all()
    assert len(session.exec(select(Customer)).all()) == 3
    assert session.get(ImportChunk, chunk.id).counts == {"UNCHANGED": 3}  # type: ignore[union-attr]


def test_an_unknown_field_in_a_file_row_is_named() -> None:
    _rows, problems = parse_rows(CustomerRow, [{"customerId": "c-1", "colour": "blue"}], "rows")
    assert [(p.index, p.field, p.message) for p in problems] == [
        (0, "rows[0].colour", "unknown field")
    ]
