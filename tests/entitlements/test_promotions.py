"""Promotional entitlements over GraphQL: grant, revoke, status, and every refusal."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from app import clock, db
from app.customers.service import provision_customer
from app.entitlements import promotions
from app.entitlements.promotions_schemas import GrantPromotionalEntitlements
from app.errors import ValidationFailed
from app.models import Customer, Environment, Feature, PromotionalEntitlement
from app.validation import validate
from tests.conftest import GraphQL
from tests.graphql.test_seed_customers import seed

T0 = datetime(2024, 1, 31, 12, 0, tzinfo=UTC)

GRANT = """
mutation($input: GrantPromotionalEntitlementsInput!) {
  grantPromotionalEntitlements(input: $input) {
    id featureId status usageLimit hasUnlimitedUsage hasSoftLimit enumValues isVisible
    period startDate endDate resetPeriod environmentId description createdAt updatedAt
    resetPeriodConfiguration {
      __typename
      ... on MonthlyResetPeriodConfig { monthlyAccordingTo }
      ... on WeeklyResetPeriodConfig { weeklyAccordingTo }
      ... on YearlyResetPeriodConfig { yearlyAccordingTo }
    }
    feature { refId displayName featureType }
  }
}"""
REVOKE = """
mutation($input: RevokePromotionalEntitlementInput!) {
  revokePromotionalEntitlement(input: $input) { id featureId status }
}"""
LISTED = """
query($id: String!) {
  getCustomerByRefId(input: {customerId: $id}) {
    promotionalEntitlements { id featureId status startDate endDate usageLimit }
  }
}"""

TEMPLATES = "feature-01-templates"  # NUMBER, Fluctuating
CAMPAIGNS = "feature-02-campaigns"  # NUMBER, Incremental
DOMAIN = "feature-03-custom-domain"  # BOOLEAN
ANALYTICS = "feature-04-analytics"  # BOOLEAN
REGIONS = "feature-09-regions"  # ENUM: us, eu, apac


def add_feature(
    session: Session,
    environment: Environment,
    ref_id: str,
    kind: str,
    *,
    values: list[str] | None = None,
    status: str = "ACTIVE",
) -> Feature:
    feature = Feature(
        environment_id=environment.id,
        ref_id=ref_id,
        display_name=ref_id.title(),
        feature_type=kind,
        enum_values=[{"value": v, "displayName": v.upper()} for v in values or []] or None,
        status=status,
    )
    session.add(feature)
    session.commit()
    return feature


@pytest.fixture
def frozen() -> Iterator[clock.FrozenClock]:
    moment = clock.FrozenClock(T0)
    clock.set_clock(moment)
    yield moment
    clock.set_clock(None)


@pytest.fixture
def world(
    session: Session, environment: Environment, catalog_applied: None, frozen: clock.FrozenClock
) -> Session:
    """The example catalog plus an ENUM feature, and customer c-1, at T0."""
    add_feature(session, environment, REGIONS, "ENUM", values=["us", "eu", "apac"])
    provision_customer(session, environment, {"customerId": "c-1"})
    session.commit()
    return session


def grant(gql: GraphQL, *grants: dict[str, Any], **fields: Any) -> list[dict[str, Any]]:
    data = {"customerId": "c-1", "promotionalEntitlements": list(grants), **fields}
    result: list[dict[str, Any]] = gql(GRANT, {"input": data})["grantPromotionalEntitlements"]
    return result


def listed(gql: GraphQL, customer_id: str = "c-1") -> list[dict[str, Any]]:
    customer = gql(LISTED, {"id": customer_id})["getCustomerByRefId"]
    result: list[dict[str, Any]] = customer["promotionalEntitlements"]
    return result


def stored(session: Session) -> tuple[list[tuple[Any, ...]], list[int]]:
    """Every grant row and every customer's entitlements version."""
    session.expire_all()
    grants = session.exec(select(PromotionalEntitlement).order_by(PromotionalEntitlement.id))
    versions = session.exec(select(Customer.entitlements_version).order_by(Customer.customer_id))
    return [tuple(g.model_dump().items()) for g in grants], list(versions)


def version(session: Session, customer_id: str = "c-1") -> int:
    session.expire_all()
    row = session.exec(select(Customer).where(Customer.customer_id == customer_id)).one()
    return row.entitlements_version


def refused(
    gql: GraphQL, session: Session, *grants: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    """A grant call that must fail and leave every grant and version as it was."""
    before = stored(session)
    data = {"customerId": "c-1", "promotionalEntitlements": list(grants), **fields}
    error = gql.error(GRANT, {"input": data})
    assert stored(session) == before
    return error


def boolean(feature: str = DOMAIN, **extra: Any) -> dict[str, Any]:
    return {"featureId": feature, "period": "ONE_WEEK", **extra}


def limited(feature: str = TEMPLATES, limit: float = 10, **extra: Any) -> dict[str, Any]:
    return {"featureId": feature, "period": "ONE_MONTH", "usageLimit": limit, **extra}


# Granting


@pytest.mark.usefixtures("world")
def test_a_grant_answers_the_promotion_with_its_defaults(
    gql: GraphQL, environment: Environment
) -> None:
    [granted] = grant(gql, boolean())
    assert granted["featureId"] == DOMAIN
    assert granted["feature"] == {
        "refId": DOMAIN,
        "displayName": "Custom domain",
        "featureType": "BOOLEAN",
    }
    assert granted["status"] == "Active"
    assert granted["isVisible"] is True
    assert granted["period"] == "ONE_WEEK"
    assert granted["startDate"] == "2024-01-31T12:00:00.000Z"
    assert granted["createdAt"] == granted["updatedAt"] == "2024-01-31T12:00:00.000Z"
    assert granted["environmentId"] == environment.id
    assert granted["usageLimit"] is None
    assert granted["hasSoftLimit"] is False
    assert granted["enumValues"] is None
    assert granted["resetPeriod"] is None
    assert granted["resetPeriodConfiguration"] is None
    assert granted["description"] is None


@pytest.mark.parametrize(
    ("period", "extra", "end"),
    [
        pytest.param("ONE_WEEK", {}, "2024-02-07T12:00:00.000Z", id="week"),
        # A calendar month from Jan 31 ends on the last day of February.
        pytest.param("ONE_MONTH", {}, "2024-02-29T12:00:00.000Z", id="month-clamped"),
        pytest.param("SIX_MONTH", {}, "2024-07-31T12:00:00.000Z", id="six-months"),
        pytest.param("ONE_YEAR", {}, "2025-01-31T12:00:00.000Z", id="year"),
        pytest.param("LIFETIME", {}, None, id="lifetime"),
        pytest.param(
            "CUSTOM",
            {"customEndDate": "2024-03-01T10:00:00+02:00"},
            "2024-03-01T08:00:00.000Z",
            id="custom",
        ),
    ],
)
@pytest.mark.usefixtures("world")
def test_the_period_sets_the_end_date(
    gql: GraphQL, period: str, extra: dict[str, Any], end: str | None
) -> None:
    [granted] = grant(gql, {"featureId": DOMAIN, "period": period, **extra})
    assert granted["endDate"] == end
    assert listed(gql)[0]["endDate"] == end


@pytest.mark.usefixtures("world")
def test_a_number_grant_keeps_its_limit_and_soft_limit(gql: GraphQL) -> None:
    [granted] = grant(gql, limited(limit=25.5, hasSoftLimit=True, isVisible=False))
    assert granted["usageLimit"] == 25.5
    assert granted["hasUnlimitedUsage"] is False
    assert granted["hasSoftLimit"] is True
    assert granted["isVisible"] is False


@pytest.mark.usefixtures("world")
def test_a_number_grant_may_be_unlimited_instead(gql: GraphQL) -> None:
    unlimited = {"featureId": TEMPLATES, "period": "LIFETIME", "hasUnlimitedUsage": True}
    [granted] = grant(gql, unlimited)
    assert granted["hasUnlimitedUsage"] is True
    assert granted["usageLimit"] is None


@pytest.mark.usefixtures("world")
def test_an_enum_grant_keeps_its_values(gql: GraphQL) -> None:
    [granted] = grant(gql, boolean(REGIONS, enumValues=["eu", "us"]))
    assert granted["enumValues"] == ["eu", "us"]
    assert granted["feature"]["featureType"] == "ENUM"


@pytest.mark.parametrize(
    ("extra", "configuration"),
    [
        pytest.param(
            {},
            {"__typename": "MonthlyResetPeriodConfig", "monthlyAccordingTo": "SubscriptionStart"},
            id="month-default",
        ),
        pytest.param(
            {"monthlyResetPeriodConfiguration": {"accordingTo": "StartOfTheMonth"}},
            {"__typename": "MonthlyResetPeriodConfig", "monthlyAccordingTo": "StartOfTheMonth"},
            id="month-configured",
        ),
    ],
)
@pytest.mark.usefixtures("world")
def test_an_incremental_grant_may_reset(
    gql: GraphQL, extra: dict[str, Any], configuration: dict[str, str]
) -> None:
    [granted] = grant(gql, limited(CAMPAIGNS, resetPeriod="MONTH", **extra))
    assert granted["resetPeriod"] == "MONTH"
    assert granted["resetPeriodConfiguration"] == configuration


@pytest.mark.usefixtures("world")
def test_a_weekly_reset_shows_its_weekday(gql: GraphQL) -> None:
    configured = {"weeklyResetPeriodConfiguration": {"accordingTo": "EveryMonday"}}
    [granted] = grant(gql, limited(CAMPAIGNS, resetPeriod="WEEK", **configured))
    assert granted["resetPeriodConfiguration"] == {
        "__typename": "WeeklyResetPeriodConfig",
        "weeklyAccordingTo": "EveryMonday",
    }


@pytest.mark.usefixtures("world")
def test_several_grants_answer_in_the_order_asked(gql: GraphQL) -> None:
    answered = grant(gql, boolean(DOMAIN), limited(TEMPLATES), boolean(ANALYTICS))
    assert [g["featureId"] for g in answered] == [DOMAIN, TEMPLATES, ANALYTICS]


@pytest.mark.usefixtures("world")
def test_a_hundred_grants_fit_in_one_call(
    gql: GraphQL, session: Session, environment: Environment
) -> None:
    refs = [f"flag-{n:03}" for n in range(100)]
    session.add_all(
        Feature(environment_id=environment.id, ref_id=r, display_name=r, feature_type="BOOLEAN")
        for r in refs
    )
    session.commit()
    assert len(grant(gql, *(boolean(r) for r in refs))) == 100


@pytest.mark.usefixtures("world")
def test_an_environment_id_naming_the_keys_environment_is_taken(
    gql: GraphQL, environment: Environment
) -> None:
    assert grant(gql, boolean(), environmentId=environment.id)


@pytest.mark.usefixtures("world")
def test_granting_a_granted_feature_replaces_the_grant(
    gql: GraphQL, session: Session, frozen: clock.FrozenClock
) -> None:
    [first] = grant(gql, limited(limit=5, hasSoftLimit=True))
    frozen.advance(timedelta(days=3))
    [second] = grant(gql, {"featureId": TEMPLATES, "period": "ONE_WEEK", "usageLimit": 7})
    assert second["id"] == first["id"]
    assert second["startDate"] == "2024-02-03T12:00:00.000Z"
    assert second["endDate"] == "2024-02-10T12:00:00.000Z"
    assert second["usageLimit"] == 7
    assert second["hasSoftLimit"] is False
    assert second["createdAt"] == first["createdAt"]
    assert second["updatedAt"] == "2024-02-03T12:00:00.000Z"
    assert [g["usageLimit"] for g in listed(gql)] == [7]
    assert len(stored(session)[0]) == 1


# Status and listing


@pytest.mark.usefixtures("world")
def test_a_grant_expires_at_its_end_date(gql: GraphQL, frozen: clock.FrozenClock) -> None:
    grant(gql, boolean())
    frozen.advance(timedelta(days=7) - timedelta(seconds=1))
    assert listed(gql)[0]["status"] == "Active"
    frozen.advance(timedelta(seconds=1))
    assert listed(gql)[0]["status"] == "Expired"


@pytest.mark.usefixtures("world")
def test_a_lifetime_grant_never_expires(gql: GraphQL, frozen: clock.FrozenClock) -> None:
    grant(gql, boolean(period="LIFETIME"))
    frozen.advance(timedelta(days=365 * 50))
    assert listed(gql)[0]["status"] == "Active"


@pytest.mark.usefixtures("world")
def test_a_paused_grant_shows_paused(gql: GraphQL, session: Session) -> None:
    grant(gql, boolean())
    row = session.exec(select(PromotionalEntitlement)).one()
    row.paused = True
    session.add(row)
    session.commit()
    assert listed(gql)[0]["status"] == "Paused"


@pytest.mark.usefixtures("world")
def test_the_customer_lists_its_grants_by_feature_including_expired(
    gql: GraphQL, frozen: clock.FrozenClock
) -> None:
    grant(gql, boolean(ANALYTICS, period="LIFETIME"), limited(TEMPLATES))
    grant(gql, boolean(DOMAIN))
    frozen.advance(timedelta(days=10))
    assert [(g["featureId"], g["status"]) for g in listed(gql)] == [
        (TEMPLATES, "Active"),
        (DOMAIN, "Expired"),
        (ANALYTICS, "Active"),
    ]


@pytest.mark.usefixtures("world")
def test_the_seed_customer_document_shows_a_granted_promotion(gql: GraphQL) -> None:
    gql(
        'mutation { provisionCustomer(input: {customerId: "customer-demo-01"}) '
        "{ customer { id } } }"
    )
    grant(gql, limited(CAMPAIGNS, resetPeriod="MONTH"), customerId="customer-demo-01")
    document, variables = seed("GetCustomerByRefId")
    customer = gql(document, variables)["getCustomerByRefId"]
    assert customer["promotionalEntitlements"] == [
        {
            "status": "Active",
            "usageLimit": 10.0,
            "featureId": CAMPAIGNS,
            "hasUnlimitedUsage": False,
            "resetPeriod": "MONTH",
            "endDate": "2024-02-29T12:00:00.000Z",
            "isVisible": True,
            "feature": {"displayName": "Campaigns", "description": None, "refId": CAMPAIGNS},
        }
    ]


# Revoking


@pytest.mark.usefixtures("world")
def test_revoking_deletes_the_grant_and_answers_it(gql: GraphQL, session: Session) -> None:
    granted, _ = grant(gql, boolean(), limited())
    revoked = gql(REVOKE, {"input": {"customerId": "c-1", "featureId": DOMAIN}})
    assert revoked["revokePromotionalEntitlement"] == {
        "id": granted["id"],
        "featureId": DOMAIN,
        "status": "Active",
    }
    assert [g["featureId"] for g in listed(gql)] == [TEMPLATES]
    assert len(stored(session)[0]) == 1


@pytest.mark.parametrize("feature", [DOMAIN, "no-such-feature"])
@pytest.mark.usefixtures("world")
def test_revoking_what_was_not_granted_is_not_found(
    gql: GraphQL, session: Session, feature: str
) -> None:
    grant(gql, limited())
    before = stored(session)
    error = gql.error(REVOKE, {"input": {"customerId": "c-1", "featureId": feature}})
    assert error["extensions"]["code"] == "PROMOTIONAL_ENTITLEMENT_NOT_FOUND"
    assert error["extensions"]["field"] == "input.featureId"
    assert feature in error["message"]
    assert stored(session) == before


@pytest.mark.usefixtures("world")
def test_revoking_twice_is_not_found_the_second_time(gql: GraphQL) -> None:
    grant(gql, boolean())
    gql(REVOKE, {"input": {"customerId": "c-1", "featureId": DOMAIN}})
    error = gql.error(REVOKE, {"input": {"customerId": "c-1", "featureId": DOMAIN}})
    assert error["extensions"]["code"] == "PROMOTIONAL_ENTITLEMENT_NOT_FOUND"


@pytest.mark.usefixtures("world")
def test_a_grant_of_an_archived_feature_can_still_be_revoked(
    gql: GraphQL, session: Session
) -> None:
    grant(gql, boolean())
    feature = session.exec(select(Feature).where(Feature.ref_id == DOMAIN)).one()
    feature.status = "ARCHIVED"
    session.add(feature)
    session.commit()
    assert gql(REVOKE, {"input": {"customerId": "c-1", "featureId": DOMAIN}})


# The entitlements version


@pytest.mark.usefixtures("world")
def test_every_grant_and_revoke_bumps_the_entitlements_version(
    gql: GraphQL, session: Session
) -> None:
    start = version(session)
    grant(gql, boolean())
    assert version(session) == start + 1
    grant(gql, boolean(), limited())
    assert version(session) == start + 2
    gql(REVOKE, {"input": {"customerId": "c-1", "featureId": DOMAIN}})
    assert version(session) == start + 3
    gql.error(REVOKE, {"input": {"customerId": "c-1", "featureId": DOMAIN}})
    refused(gql, session, boolean("no-such-feature"))
    assert version(session) == start + 3


@pytest.mark.usefixtures("world")
def test_concurrent_grants_of_one_feature_leave_one_grant_and_count_every_call(
    session: Session, environment: Environment
) -> None:
    calls = 8
    barrier = threading.Barrier(calls)

    def grant_limit(limit: int) -> None:
        request = validate(
            GrantPromotionalEntitlements,
            {"customerId": "c-1", "promotionalEntitlements": [limited(limit=limit)]},
        )
        barrier.wait()
        db.in_transaction(
            lambda s: promotions.grant_promotional_entitlements(s, environment, request)
        )

    start = version(session)
    with ThreadPoolExecutor(calls) as pool:
        list(pool.map(grant_limit, range(calls)))
    grants, versions = stored(session)
    assert len(grants) == 1
    assert versions == [start + calls]


# Refusals


@pytest.mark.usefixtures("world")
def test_an_unknown_customer_is_not_found(gql: GraphQL, session: Session) -> None:
    error = refused(gql, session, boolean(), customerId="nobody")
    assert error["extensions"] == {
        "code": "CUSTOMER_NOT_FOUND",
        "field": "input.customerId",
    }
    revoking = gql.error(REVOKE, {"input": {"customerId": "nobody", "featureId": DOMAIN}})
    assert revoking["extensions"]["code"] == "CUSTOMER_NOT_FOUND"


@pytest.mark.usefixtures("world")
def test_an_archived_customer_is_refused(gql: GraphQL, session: Session) -> None:
    grant(gql, boolean())
    gql('mutation { archiveCustomer(input: {customerId: "c-1"}) { customerId } }')
    error = refused(gql, session, limited())
    assert error["extensions"]["code"] == "CUSTOMER_ARCHIVED"
    assert error["extensions"]["field"] == "input.customerId"
    revoking = gql.error(REVOKE, {"input": {"customerId": "c-1", "featureId": DOMAIN}})
    assert revoking["extensions"]["code"] == "CUSTOMER_ARCHIVED"


@pytest.mark.usefixtures("world")
def test_another_environments_key_cannot_reach_the_customer(
    gql: GraphQL, other_api_key: str
) -> None:
    variables = {"input": {"customerId": "c-1", "promotionalEntitlements": [boolean()]}}
    body = gql.post(GRANT, variables, key=other_api_key).json()
    assert body["errors"][0]["extensions"]["code"] == "CUSTOMER_NOT_FOUND"


@pytest.mark.usefixtures("world")
def test_an_environment_id_of_another_environment_is_refused(
    gql: GraphQL, session: Session, other_environment: Environment
) -> None:
    error = refused(gql, session, boolean(), environmentId=other_environment.id)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "input.environmentId"


@pytest.mark.usefixtures("world")
def test_an_unknown_feature_is_named_with_its_index(gql: GraphQL, session: Session) -> None:
    error = refused(gql, session, boolean(), boolean("feature-99-nope"))
    assert error["extensions"]["code"] == "FEATURE_NOT_FOUND"
    assert error["extensions"]["field"] == "input.promotionalEntitlements[1].featureId"
    assert "feature-99-nope" in error["message"]


@pytest.mark.usefixtures("world")
def test_archived_and_foreign_features_cannot_be_granted(
    gql: GraphQL, session: Session, environment: Environment, other_environment: Environment
) -> None:
    add_feature(session, environment, "old-flag", "BOOLEAN", status="ARCHIVED")
    add_feature(session, other_environment, "their-flag", "BOOLEAN")
    for ref in ("old-flag", "their-flag"):
        error = refused(gql, session, boolean(ref))
        assert error["extensions"]["code"] == "FEATURE_NOT_FOUND"


@pytest.mark.parametrize(
    ("item", "field", "mentions"),
    [
        pytest.param({"period": "CUSTOM"}, "customEndDate", "CUSTOM", id="custom-needs-end"),
        pytest.param(
            {"period": "ONE_WEEK", "customEndDate": "2024-03-01T00:00:00Z"},
            "customEndDate",
            "only applies to period CUSTOM",
            id="end-without-custom",
        ),
        pytest.param(
            {"period": "CUSTOM", "customEndDate": "2024-01-31T12:00:00Z"},
            "customEndDate",
            "future",
            id="end-now",
        ),
        pytest.param(
            {"period": "CUSTOM", "customEndDate": "2023-12-31T00:00:00Z"},
            "customEndDate",
            "future",
            id="end-past",
        ),
        pytest.param(
            {"period": "CUSTOM", "customEndDate": "2024-03-01T00:00:00"},
            "customEndDate",
            "offset",
            id="end-without-offset",
        ),
        pytest.param(
            {"period": "CUSTOM", "customEndDate": "1900000000"},
            "customEndDate",
            "ISO 8601",
            id="end-not-iso",
        ),
    ],
)
@pytest.mark.usefixtures("world")
def test_a_bad_period_is_refused(
    gql: GraphQL, session: Session, item: dict[str, Any], field: str, mentions: str
) -> None:
    error = refused(gql, session, boolean(ANALYTICS), {"featureId": DOMAIN, **item})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == f"input.promotionalEntitlements[1].{field}"
    assert mentions in error["message"]


@pytest.mark.parametrize(
    ("item", "field", "mentions"),
    [
        pytest.param(boolean(usageLimit=3), "usageLimit", "BOOLEAN", id="limit-on-boolean"),
        pytest.param(
            boolean(REGIONS, enumValues=["us"], usageLimit=3),
            "usageLimit",
            "ENUM",
            id="limit-on-enum",
        ),
        pytest.param(
            boolean(hasUnlimitedUsage=True), "hasUnlimitedUsage", "BOOLEAN", id="unlimited-boolean"
        ),
        pytest.param(boolean(hasSoftLimit=True), "hasSoftLimit", "BOOLEAN", id="soft-on-boolean"),
        pytest.param(limited(limit=-1), "usageLimit", ">= 0", id="negative-limit"),
        pytest.param(
            limited(hasUnlimitedUsage=True), "hasUnlimitedUsage", "usageLimit", id="limit-and-unl"
        ),
        pytest.param(
            {"featureId": TEMPLATES, "period": "ONE_WEEK"}, "usageLimit", "NUMBER", id="no-limit"
        ),
        pytest.param(
            {"featureId": TEMPLATES, "period": "ONE_WEEK", "hasUnlimitedUsage": False},
            "usageLimit",
            "NUMBER",
            id="unlimited-false-no-limit",
        ),
        pytest.param(limited(enumValues=["us"]), "enumValues", "only ENUM", id="values-on-number"),
        pytest.param(boolean(REGIONS), "enumValues", "required", id="enum-needs-values"),
        pytest.param(
            boolean(REGIONS, enumValues=[]), "enumValues", "required", id="enum-empty-values"
        ),
        pytest.param(
            boolean(REGIONS, enumValues=["us", "mars"]),
            "enumValues[1]",
            "'mars'",
            id="unknown-value",
        ),
        pytest.param(
            boolean(REGIONS, enumValues=["eu", "eu"]),
            "enumValues[1]",
            "already",
            id="value-twice",
        ),
        pytest.param(
            limited(resetPeriod="MONTH"), "resetPeriod", "Incremental", id="reset-fluctuating"
        ),
        pytest.param(boolean(resetPeriod="DAY"), "resetPeriod", "BOOLEAN", id="reset-boolean"),
        pytest.param(
            limited(
                CAMPAIGNS,
                resetPeriod="MONTH",
                weeklyResetPeriodConfiguration={"accordingTo": "EveryMonday"},
            ),
            "weeklyResetPeriodConfiguration",
            "MONTH",
            id="config-of-another-period",
        ),
        pytest.param(
            limited(CAMPAIGNS, monthlyResetPeriodConfiguration={"accordingTo": "StartOfTheMonth"}),
            "monthlyResetPeriodConfiguration",
            "resetPeriod",
            id="config-without-reset",
        ),
    ],
)
@pytest.mark.usefixtures("world")
def test_a_grant_that_does_not_fit_its_feature_is_refused(
    gql: GraphQL, session: Session, item: dict[str, Any], field: str, mentions: str
) -> None:
    error = refused(gql, session, boolean(ANALYTICS), item)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == f"input.promotionalEntitlements[1].{field}"
    assert mentions in error["message"]


@pytest.mark.usefixtures("world")
def test_the_same_feature_twice_in_one_call_is_refused(gql: GraphQL, session: Session) -> None:
    error = refused(gql, session, boolean(), boolean(ANALYTICS), boolean())
    assert error["extensions"]["field"] == "input.promotionalEntitlements[2].featureId"
    assert "promotionalEntitlements[0]" in error["message"]


@pytest.mark.parametrize("count", [0, 101])
@pytest.mark.usefixtures("world")
def test_a_call_grants_one_to_a_hundred_features(
    gql: GraphQL, session: Session, count: int
) -> None:
    error = refused(gql, session, *(boolean(f"flag-{n}") for n in range(count)))
    assert error["extensions"]["field"] == "input.promotionalEntitlements"
    assert "100" in error["message"]


@pytest.mark.usefixtures("world")
def test_one_bad_grant_stores_nothing_of_the_call(gql: GraphQL, session: Session) -> None:
    [kept] = grant(gql, limited(limit=5))
    refused(gql, session, limited(limit=50), boolean(), boolean(usageLimit=1))
    assert [(g["id"], g["usageLimit"]) for g in listed(gql)] == [(kept["id"], 5)]


def test_a_reset_configuration_must_fit_its_reset_period() -> None:
    # The GraphQL adapter picks the configuration; a direct caller is checked as well.
    grant_data = limited(CAMPAIGNS, resetPeriod="MONTH", resetAccordingTo="EveryMonday")
    data = {"customerId": "c-1", "promotionalEntitlements": [grant_data]}
    with pytest.raises(ValidationFailed) as refusal:
        validate(GrantPromotionalEntitlements, data)
    assert refusal.value.field == "input.promotionalEntitlements[0]"
    assert "EveryMonday" in refusal.value.message
