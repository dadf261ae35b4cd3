"""After each kind of change, the very next check through the API reflects it.

Checks are answered from a per-process cache of entitlement states: these tests fail
if any change leaves a stale state behind.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlalchemy import event as sqlalchemy_event
from sqlmodel import Session

from app.catalog.schemas import parse_catalog
from app.catalog.service import apply_catalog
from app.entitlements import cache as entitlements_cache
from app.entitlements import refresher
from app.models import Environment
from tests.catalog.factories import example_data
from tests.conftest import GraphQL

pytestmark = pytest.mark.usefixtures("catalog_applied")

CHECK = """
query($q: FetchEntitlementQuery!) {
  entitlement(query: $q) {
    isGranted accessDeniedReason usageLimit currentUsage hasUnlimitedUsage
    feature { displayName }
  }
}"""
PROVISION_CUSTOMER = """
mutation($input: ProvisionCustomerInput!) { provisionCustomer(input: $input) { customer { id } } }
"""
PROVISION = """
mutation($input: ProvisionSubscriptionInput!) {
  provisionSubscriptionV2(input: $input) { status subscription { refId } }
}"""
UPDATE = """
mutation($input: UpdateSubscriptionInput!) { updateOneSubscription(input: $input) { refId } }
"""
REPORT = """
mutation($input: ReportUsageInput!) { reportUsage(input: $input) { currentUsage } }
"""
GRANT = """
mutation($input: GrantPromotionalEntitlementsInput!) {
  grantPromotionalEntitlements(input: $input) { featureId }
}"""
REVOKE = """
mutation($input: RevokePromotionalEntitlementInput!) {
  revokePromotionalEntitlement(input: $input) { id }
}"""
ARCHIVE = """
mutation($input: ArchiveCustomerInput!) { archiveCustomer(input: $input) { customerId } }
"""


def _check(gql: GraphQL, feature: str, **options: object) -> dict[str, object]:
    query = {"customerId": "cache-1", "featureId": feature, **options}
    answer: dict[str, object] = gql(CHECK, {"q": query})["entitlement"]
    return answer


@pytest.fixture
def subscribed(gql: GraphQL) -> str:
    """A customer on the basic plan, with a check cached."""
    gql(PROVISION_CUSTOMER, {"input": {"customerId": "cache-1"}})
    gql(PROVISION, {"input": {"customerId": "cache-1", "planId": "plan-revvenu-free"}})
    assert _check(gql, "feature-01-templates")["usageLimit"] == 3
    return "cache-1"


def test_a_new_subscription_is_seen(gql: GraphQL, subscribed: str) -> None:
    assert _check(gql, "feature-03-custom-domain")["isGranted"] is False
    gql(
        PROVISION,
        {
            "input": {
                "customerId": subscribed,
                "planId": "plan-revvenu-essentials",
                "billingPeriod": "MONTHLY",
                "billableFeatures": [{"featureId": "feature-01-templates", "quantity": 9}],
                "skipTrial": True,
            }
        },
    )
    assert _check(gql, "feature-03-custom-domain")["isGranted"] is True
    assert _check(gql, "feature-01-templates")["usageLimit"] == 9


def test_a_subscription_update_is_seen(gql: GraphQL, subscribed: str) -> None:
    created = gql(
        PROVISION,
        {
            "input": {
                "customerId": subscribed,
                "planId": "plan-revvenu-essentials",
                "billingPeriod": "MONTHLY",
                "billableFeatures": [{"featureId": "feature-01-templates", "quantity": 2}],
                "skipTrial": True,
            }
        },
    )
    ref = created["provisionSubscriptionV2"]["subscription"]["refId"]
    assert _check(gql, "feature-01-templates")["usageLimit"] == 2
    gql(
        UPDATE,
        {
            "input": {
                "subscriptionId": ref,
                "billableFeatures": [{"featureId": "feature-01-templates", "quantity": 6}],
            }
        },
    )
    assert _check(gql, "feature-01-templates")["usageLimit"] == 6


def test_an_addon_added_is_seen(gql: GraphQL, subscribed: str) -> None:
    created = gql(
        PROVISION,
        {
            "input": {
                "customerId": subscribed,
                "planId": "plan-revvenu-essentials",
                "billingPeriod": "MONTHLY",
                "billableFeatures": [{"featureId": "feature-01-templates", "quantity": 2}],
                "skipTrial": True,
            }
        },
    )
    ref = created["provisionSubscriptionV2"]["subscription"]["refId"]
    before = _check(gql, "feature-02-campaigns")["usageLimit"]
    gql(
        UPDATE,
        {
            "input": {
                "subscriptionId": ref,
                "addons": [{"addonId": "addon-10-campaigns", "quantity": 2}],
            }
        },
    )
    after = _check(gql, "feature-02-campaigns")["usageLimit"]
    assert isinstance(before, float | int) and after == before + 20


def test_a_catalog_apply_is_seen(
    gql: GraphQL, subscribed: str, session: Session, environment: Environment
) -> None:
    assert _check(gql, "feature-01-templates")["feature"] == {"displayName": "Templates"}
    data = example_data()
    data["features"][0]["displayName"] = "Page templates"
    apply_catalog(session, environment, parse_catalog(data))
    session.commit()
    assert _check(gql, "feature-01-templates")["feature"] == {"displayName": "Page templates"}


def test_usage_is_seen(gql: GraphQL, subscribed: str) -> None:
    gql(
        REPORT,
        {"input": {"customerId": subscribed, "featureId": "feature-01-templates", "value": 3}},
    )
    answer = _check(gql, "feature-01-templates", options={"requestedUsage": 1})
    assert answer["currentUsage"] == 3
    assert answer["accessDeniedReason"] == "RequestedUsageExceedingLimit"


def test_a_report_leaves_its_value_cached_so_the_next_check_reads_nothing(
    gql: GraphQL, subscribed: str, engine: Engine
) -> None:
    report = {"customerId": subscribed, "featureId": "feature-01-templates", "value": 2}
    assert _check(gql, "feature-01-templates")["currentUsage"] == 0  # state and usage cached
    gql(REPORT, {"input": report})
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    sqlalchemy_event.listen(engine, "before_cursor_execute", seen)
    try:
        assert _check(gql, "feature-01-templates")["currentUsage"] == 2
    finally:
        sqlalchemy_event.remove(engine, "before_cursor_execute", seen)
    assert statements == []


USAGE_KEY = ("customer-row", "", "feature-row", datetime(2026, 1, 1, tzinfo=UTC))


def test_a_value_written_by_an_earlier_report_never_replaces_a_later_one() -> None:
    """Two reports' values may arrive in either order: the higher row version stays."""
    usage = entitlements_cache.UsageCache()
    usage.written([(USAGE_KEY, Decimal(6), 6)])
    usage.written([(USAGE_KEY, Decimal(5), 5)])
    assert usage.get(USAGE_KEY) == Decimal(6)
    usage.written([(USAGE_KEY, Decimal(7), 7)])
    assert usage.get(USAGE_KEY) == Decimal(7)


def test_a_value_read_before_a_report_committed_is_not_stored_over_its_value() -> None:
    usage = entitlements_cache.UsageCache()
    generation, seen = usage.generation, usage.entry(USAGE_KEY)  # a reader starts
    usage.written([(USAGE_KEY, Decimal(5), 5)])  # a report commits
    usage.put(USAGE_KEY, Decimal(4), generation, seen)  # the reader read the old row
    assert usage.get(USAGE_KEY) == Decimal(5)


def test_usage_another_process_reported_arrives_with_its_value() -> None:
    """Its new value replaces the entry (no read needed); the customer's other usage
    stays cached; an older value arriving late changes nothing."""
    other = ("customer-row", "", "another-feature", USAGE_KEY[3])
    entitlements_cache.usage.put(USAGE_KEY, Decimal(3), entitlements_cache.usage.generation)
    entitlements_cache.usage.put(other, Decimal(9), entitlements_cache.usage.generation)

    def message(value: int, version: int) -> str:
        sent = [*USAGE_KEY[:3], USAGE_KEY[3].isoformat(), str(value), version]
        changes = [["usage", "customer-row"]]
        found = {"changes": changes, "usage": [sent], "carried": ["customer-row"]}
        return json.dumps({"sender": "another process", **found})

    entitlements_cache.receive(message(12, 8))
    assert entitlements_cache.usage.get(USAGE_KEY) == Decimal(12)
    assert entitlements_cache.usage.get(other) == Decimal(9)
    entitlements_cache.receive(message(11, 7))
    assert entitlements_cache.usage.get(USAGE_KEY) == Decimal(12)
    # Usage that also changed otherwise (events, say) is not carried: it is dropped.
    sent = [*USAGE_KEY[:3], USAGE_KEY[3].isoformat(), "13", 9]
    changes = [["usage", "customer-row"]]
    mixed = {"sender": "another process", "changes": changes, "usage": [sent], "carried": []}
    entitlements_cache.receive(json.dumps(mixed))
    assert entitlements_cache.usage.get(other) is None
    assert entitlements_cache.usage.get(USAGE_KEY) == Decimal(13)
    # A message whose values cannot be read drops everything.
    broken = json.dumps({"sender": "x", "changes": [], "usage": [["too", "short"]]})
    entitlements_cache.receive(broken)
    assert entitlements_cache.usage.get(USAGE_KEY) is None


def test_a_promotion_granted_and_revoked_is_seen(gql: GraphQL, subscribed: str) -> None:
    assert _check(gql, "feature-04-analytics")["isGranted"] is False
    gql(
        GRANT,
        {
            "input": {
                "customerId": subscribed,
                "promotionalEntitlements": [
                    {"featureId": "feature-04-analytics", "period": "ONE_MONTH"}
                ],
            }
        },
    )
    assert _check(gql, "feature-04-analytics")["isGranted"] is True
    gql(REVOKE, {"input": {"customerId": subscribed, "featureId": "feature-04-analytics"}})
    assert _check(gql, "feature-04-analytics")["isGranted"] is False


def test_archiving_the_customer_is_seen(gql: GraphQL, subscribed: str) -> None:
    gql(ARCHIVE, {"input": {"customerId": subscribed}})
    assert _check(gql, "feature-01-templates")["accessDeniedReason"] == "CustomerIsArchived"


def test_a_customer_created_after_a_not_found_check_is_seen(gql: GraphQL) -> None:
    query = {"customerId": "late-1", "featureId": "feature-01-templates"}
    first = gql(CHECK, {"q": query})["entitlement"]
    assert first["accessDeniedReason"] == "CustomerNotFound"
    gql(PROVISION_CUSTOMER, {"input": {"customerId": "late-1"}})
    gql(PROVISION, {"input": {"customerId": "late-1", "planId": "plan-revvenu-free"}})
    assert gql(CHECK, {"q": query})["entitlement"]["isGranted"] is True


def test_events_are_seen_by_a_check_whose_usage_was_cached(gql: GraphQL, subscribed: str) -> None:
    assert _check(gql, "feature-06-active-users")["currentUsage"] == 0
    assert _check(gql, "feature-06-active-users")["currentUsage"] == 0
    event = {
        "customerId": subscribed,
        "eventName": "user_login",
        "idempotencyKey": "login-1",
        "dimensions": {"user_id": "u-1"},
    }
    gql(
        "mutation($e: UsageEventsReportInput!) { reportEvent(events: $e) }",
        {"e": {"usageEvents": [event]}},
    )
    assert _check(gql, "feature-06-active-users")["currentUsage"] == 1


def test_a_report_reloads_a_state_another_process_changed(
    gql: GraphQL, subscribed: str, session: Session
) -> None:
    """A change made elsewhere (no invalidation reached this process) still counts: the
    report sees the customer's entitlements version move and reads the state afresh."""
    from sqlalchemy import text

    assert _check(gql, "feature-01-templates")["isGranted"] is True  # the state is cached
    session.execute(
        text(
            "UPDATE subscription SET status = 'CANCELED', active_slot = NULL "
            "WHERE customer_id = (SELECT id FROM customer WHERE customer_id = :ref)"
        ),
        {"ref": subscribed},
    )
    session.execute(
        text(
            "UPDATE customer SET entitlements_version = entitlements_version + 1 "
            "WHERE customer_id = :ref"
        ),
        {"ref": subscribed},
    )
    session.commit()
    error = gql.error(
        REPORT,
        {"input": {"customerId": subscribed, "featureId": "feature-01-templates", "value": 1}},
    )
    assert error["extensions"]["code"] == "NO_FEATURE_ENTITLEMENT"


def _cancel_behind_the_cache(session: Session, customer_ref: str) -> None:
    """A change the cache is not told of, as a lost invalidation message would leave it."""
    from sqlalchemy import text

    session.execute(
        text(
            "UPDATE subscription SET status = 'CANCELED', active_slot = NULL "
            "WHERE customer_id = (SELECT id FROM customer WHERE customer_id = :ref)"
        ),
        {"ref": customer_ref},
    )
    session.commit()


class Clock:
    """The caches' clock, moved by the test: entries age exactly as much as it says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moved = Clock()
    monkeypatch.setattr(entitlements_cache, "monotonic", moved)
    return moved


AGE = entitlements_cache.states.max_age_seconds


def test_an_aged_state_is_answered_from_while_it_is_reloaded(
    gql: GraphQL, subscribed: str, session: Session, clock: Clock
) -> None:
    entitlements_cache.states.invalidate([entitlements_cache.ALL])
    assert _check(gql, "feature-01-templates")["isGranted"] is True  # cached at clock.now
    _cancel_behind_the_cache(session, subscribed)
    clock.advance(AGE * 0.5)
    assert _check(gql, "feature-01-templates")["isGranted"] is True  # fresh: from the cache
    clock.advance(AGE * 0.7)
    # Past its age: this check is answered at once from the old state, and asks for a
    # reload in the background; the checks after it see the database.
    assert _check(gql, "feature-01-templates")["isGranted"] is True
    refresher.wait()
    answer = _check(gql, "feature-01-templates")
    assert (answer["isGranted"], answer["accessDeniedReason"]) == (False, "NoActiveSubscription")


def test_a_state_twice_its_age_is_never_served(
    gql: GraphQL, subscribed: str, session: Session, clock: Clock
) -> None:
    entitlements_cache.states.invalidate([entitlements_cache.ALL])
    assert _check(gql, "feature-01-templates")["isGranted"] is True  # cached at clock.now
    _cancel_behind_the_cache(session, subscribed)
    clock.advance(AGE * 2.1)
    assert _check(gql, "feature-01-templates")["isGranted"] is False


def test_aged_usage_is_answered_from_while_it_is_reloaded(
    gql: GraphQL, subscribed: str, session: Session, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import text

    # Only the usage ages: the state stays fresh however far the clock moves.
    monkeypatch.setattr(entitlements_cache.states, "max_age_seconds", 3600.0)

    report = {"customerId": subscribed, "featureId": "feature-02-campaigns", "value": 2}
    gql(REPORT, {"input": report})
    assert _check(gql, "feature-02-campaigns")["currentUsage"] == 2
    session.execute(text("UPDATE feature_usage SET usage = 7"))
    session.commit()
    clock.advance(entitlements_cache.usage.max_age_seconds * 1.2)
    assert _check(gql, "feature-02-campaigns")["currentUsage"] == 2
    refresher.wait()
    assert _check(gql, "feature-02-campaigns")["currentUsage"] == 7


def test_usage_changes_reach_other_processes() -> None:
    """Invalidations of usage sent over Redis are applied, not dropped as unknown."""
    key = ("customer-row", "", "feature-row", datetime(2026, 1, 1, tzinfo=UTC))
    entitlements_cache.usage.put(key, Decimal(3), entitlements_cache.usage.generation)
    assert entitlements_cache.usage.get(key) == Decimal(3)
    own = json.dumps({"sender": entitlements_cache.SENDER, "changes": [["usage", "customer-row"]]})
    entitlements_cache.apply(entitlements_cache._parse(own))  # applied at commit already
    assert entitlements_cache.usage.get(key) == Decimal(3)
    message = json.dumps({"sender": "another process", "changes": [["usage", "customer-row"]]})
    entitlements_cache.apply(entitlements_cache._parse(message))
    assert entitlements_cache.usage.get(key) is None
    # What cannot be read drops everything.
    assert entitlements_cache._parse("not json") == [entitlements_cache.ALL]


def test_each_redis_database_has_a_channel_of_its_own() -> None:
    """Deployments (or test runs) on one Redis server, kept apart by database number, do
    not drop each other's cached states."""
    assert entitlements_cache.channel_of("redis://127.0.0.1:6379/9") != (
        entitlements_cache.channel_of("redis://127.0.0.1:6379/10")
    )
    assert entitlements_cache.channel_of("redis://h:6379") == (
        entitlements_cache.channel_of("redis://h:6379/0")
    )


def test_a_change_in_a_released_savepoint_is_dropped_only_at_the_commit(
    session: Session, environment: Environment, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.models import Customer

    customer = Customer(environment_id=environment.id, customer_id="savepoint-01")
    session.add(customer)
    session.commit()
    ref = ("ref", f"{environment.id}:savepoint-01")
    told: list[bool] = []
    # Watchers hear exactly the changes the caches drop, when they drop them.
    monkeypatch.setattr(
        entitlements_cache,
        "watchers",
        [lambda changes, _customers: told.append(ref in changes)],
    )
    with session.begin_nested():
        customer.archived_at = datetime(2026, 11, 1, tzinfo=UTC)
    # Readers still see the old row: a state they load now must not be thought fresh.
    assert True not in told
    session.commit()
    assert True in told
