"""The entitlement rules, one behaviour per case (see ENTITLEMENTS.md)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session

from app import clock
from app.customers.service import archive_customer
from app.entitlements.decision import AccessDeniedReason as Reason
from app.models import Environment
from app.subscriptions import service as subscriptions
from tests.entitlements.factories import T0, check, customer, promote, report, subscribe


def _limit(decision: object) -> Decimal | None:
    grant = decision.grant  # type: ignore[attr-defined]
    return None if grant is None else grant.allowance.usage_limit


# -- deny reasons, in order ------------------------------------------------------------


def test_unknown_feature_is_feature_not_found(world: Session, environment: Environment) -> None:
    subscribe(world, environment, "free")
    assert check(world, environment, "no-such-feature").denied is Reason.FEATURE_NOT_FOUND


def test_unknown_feature_wins_over_unknown_customer(
    world: Session, environment: Environment
) -> None:
    decision = check(world, environment, "no-such-feature", "nobody")
    assert decision.denied is Reason.FEATURE_NOT_FOUND


def test_unknown_customer_is_customer_not_found(world: Session, environment: Environment) -> None:
    decision = check(world, environment, "seats", "nobody")
    assert decision.denied is Reason.CUSTOMER_NOT_FOUND
    assert decision.state.customer_id is None


def test_archived_customer_is_denied(world: Session, environment: Environment) -> None:
    subscribe(world, environment, "free")
    archive_customer(world, environment, "c-1")
    world.commit()
    assert check(world, environment, "seats").denied is Reason.CUSTOMER_IS_ARCHIVED


def test_resource_without_subscription_is_resource_not_found(
    world: Session, environment: Environment
) -> None:
    subscribe(world, environment, "free")
    decision = check(world, environment, "seats", resource="nowhere")
    assert decision.denied is Reason.CUSTOMER_RESOURCE_NOT_FOUND


def test_customer_without_live_subscription_has_none_active(
    world: Session, environment: Environment
) -> None:
    assert check(world, environment, "seats").denied is Reason.NO_ACTIVE_SUBSCRIPTION


def test_cancelled_subscription_grants_nothing(world: Session, environment: Environment) -> None:
    sub = subscribe(world, environment, "free")
    subscriptions.cancel_subscription(world, environment, {"subscriptionRefId": sub.ref_id})
    world.commit()
    assert check(world, environment, "seats").denied is Reason.NO_ACTIVE_SUBSCRIPTION


def test_feature_outside_the_plan_is_not_in_subscription(
    world: Session, environment: Environment
) -> None:
    subscribe(world, environment, "free")
    decision = check(world, environment, "sso")
    assert decision.denied is Reason.NO_FEATURE_ENTITLEMENT_IN_SUBSCRIPTION


def test_child_plan_revoking_an_inherited_feature_is_revoked(
    world: Session, environment: Environment
) -> None:
    subscribe(world, environment, "pro-lite")
    assert check(world, environment, "sso").denied is Reason.REVOKED


# -- by feature type -------------------------------------------------------------------


def test_boolean_feature_is_granted(world: Session, environment: Environment) -> None:
    subscribe(world, environment, "pro", skipTrial=True)
    decision = check(world, environment, "sso")
    assert decision.is_granted and decision.grant is not None


def test_number_without_meter_is_granted_with_its_value(
    world: Session, environment: Environment
) -> None:
    subscribe(world, environment, "free")
    decision = check(world, environment, "storage", requested=100)
    assert decision.is_granted
    assert _limit(decision) == 5


def test_usage_under_the_limit_is_granted(world: Session, environment: Environment) -> None:
    subscribe(world, environment, "free")
    report(world, environment, "seats", 1)
    decision = check(world, environment, "seats", requested=1)
    assert decision.is_granted and decision.current_usage == 1


def test_limit_exactly_reached_is_granted_until_one_more_is_asked(
    world: Session, environment: Environment
) -> None:
    subscribe(world, environment, "free")
    report(world, environment, "seats", 2)
    assert check(world, environment, "seats").is_granted
    more = check(world, environment, "seats", requested=1)
    assert more.denied is Reason.REQUESTED_USAGE_EXCEEDING_LIMIT
    assert more.request.requested_usage == 1


def test_soft_limit_is_granted_over_the_limit(world: Session, environment: Environment) -> None:
    subscribe(world, environment, "scale")
    report(world, environment, "seats", 9)
    decision = check(world, environment, "seats", requested=1)
    assert decision.is_granted and decision.current_usage == 9
    assert decision.grant is not None and decision.grant.allowance.soft_limit


def test_unlimited_is_granted_whatever_the_usage(world: Session, environment: Environment) -> None:
    subscribe(world, environment, "scale")
    report(world, environment, "api-calls", 10**9)
    decision = check(world, environment, "api-calls", requested=10**6)
    assert decision.is_granted
    assert decision.grant is not None and decision.grant.allowance.unlimited


def test_enum_values_within_the_grant_are_granted(world: Session, environment: Environment) -> None:
    subscribe(world, environment, "free")
    assert check(world, environment, "region", values=("eu",)).is_granted


def test_enum_values_outside_the_grant_are_a_mismatch(
    world: Session, environment: Environment
) -> None:
    subscribe(world, environment, "free")
    decision = check(world, environment, "region", values=("eu", "us"))
    assert decision.denied is Reason.REQUESTED_VALUES_MISMATCH


# -- where entitlements come from ------------------------------------------------------


def test_addon_adds_its_value_times_its_quantity(world: Session, environment: Environment) -> None:
    subscribe(world, environment, "free", addons=[{"addonId": "more-seats", "quantity": 3}])
    assert _limit(check(world, environment, "seats")) == 2 + 5 * 3


def test_override_addon_replaces_the_plan_value(world: Session, environment: Environment) -> None:
    subscribe(world, environment, "free", addons=[{"addonId": "big-seats"}])
    assert _limit(check(world, environment, "seats")) == 50


def test_plan_inherits_its_base_plans_entitlements(
    world: Session, environment: Environment
) -> None:
    subscribe(world, environment, "pro", skipTrial=True)
    assert check(world, environment, "region", values=("eu",)).is_granted
    assert _limit(check(world, environment, "projects")) == 3


def test_child_plan_entry_replaces_the_inherited_one(
    world: Session, environment: Environment
) -> None:
    subscribe(world, environment, "pro", skipTrial=True)
    assert _limit(check(world, environment, "seats")) == 10


def test_grandchild_inherits_through_its_base(world: Session, environment: Environment) -> None:
    subscribe(world, environment, "pro-lite")
    assert _limit(check(world, environment, "seats")) == 10
    assert _limit(check(world, environment, "projects")) == 3


def test_per_unit_feature_bought_is_its_limit(world: Session, environment: Environment) -> None:
    subscribe(world, environment, "team", billableFeatures=[{"featureId": "seats", "quantity": 7}])
    assert _limit(check(world, environment, "seats")) == 7


def test_subscription_value_replaces_the_plan_value(
    world: Session, environment: Environment
) -> None:
    subscribe(
        world,
        environment,
        "free",
        subscriptionEntitlements=[{"featureId": "seats", "usageLimit": 40}],
    )
    assert _limit(check(world, environment, "seats")) == 40


def test_addons_still_add_to_a_subscription_value(world: Session, environment: Environment) -> None:
    subscribe(
        world,
        environment,
        "free",
        addons=[{"addonId": "more-seats", "quantity": 1}],
        subscriptionEntitlements=[{"featureId": "seats", "usageLimit": 40}],
    )
    assert _limit(check(world, environment, "seats")) == 45


def test_more_generous_promotion_wins(world: Session, environment: Environment) -> None:
    subscribe(world, environment, "free")
    promote(world, environment, "seats", usage_limit=Decimal(20))
    assert _limit(check(world, environment, "seats")) == 20


def test_less_generous_promotion_does_not_lower_the_plan(
    world: Session, environment: Environment
) -> None:
    subscribe(world, environment, "free")
    promote(world, environment, "seats", usage_limit=Decimal(1))
    assert _limit(check(world, environment, "seats")) == 2


def test_unlimited_promotion_beats_any_number(world: Session, environment: Environment) -> None:
    subscribe(world, environment, "free")
    promote(world, environment, "seats", has_unlimited_usage=True)
    decision = check(world, environment, "seats", requested=10**6)
    assert decision.is_granted and decision.grant is not None
    assert decision.grant.allowance.unlimited


def test_promotion_alone_grants_without_a_subscription(
    world: Session, environment: Environment
) -> None:
    promote(world, environment, "sso")
    assert check(world, environment, "sso").is_granted


def test_expired_promotion_grants_nothing(
    world: Session, environment: Environment, frozen: clock.FrozenClock
) -> None:
    promote(world, environment, "sso", days=7)
    assert check(world, environment, "sso").is_granted
    frozen.advance(timedelta(days=8))
    assert check(world, environment, "sso").denied is Reason.NO_ACTIVE_SUBSCRIPTION


def test_enum_values_are_the_union_of_sources(world: Session, environment: Environment) -> None:
    subscribe(world, environment, "free")
    promote(world, environment, "region", enum_values=["apac"])
    assert check(world, environment, "region", values=("eu", "apac")).is_granted


def test_trial_beside_a_paid_subscription_counts(world: Session, environment: Environment) -> None:
    subscribe(world, environment, "team", billableFeatures=[{"featureId": "seats", "quantity": 3}])
    trial = subscribe(world, environment, "pro")
    assert trial.status == "IN_TRIAL"
    assert check(world, environment, "sso").is_granted
    assert _limit(check(world, environment, "seats")) == 10
    assert check(world, environment, "region", values=("eu", "us")).is_granted


def test_resource_scopes_its_own_subscriptions(world: Session, environment: Environment) -> None:
    subscribe(world, environment, "free")
    subscribe(world, environment, "ws-plan", resourceId="ws-1")
    assert check(world, environment, "exports", resource="ws-1").is_granted
    # The customer's single-subscription product counts within any resource...
    assert _limit(check(world, environment, "seats", resource="ws-1")) == 2
    # ...but a resource's subscription does not count outside it.
    outside = check(world, environment, "exports")
    assert outside.denied is Reason.NO_FEATURE_ENTITLEMENT_IN_SUBSCRIPTION


def test_usage_is_kept_per_resource(world: Session, environment: Environment) -> None:
    subscribe(world, environment, "ws-plan", resourceId="ws-1")
    subscribe(world, environment, "ws-plan", resourceId="ws-2")
    report(world, environment, "projects", 4, resource="ws-1")
    assert check(world, environment, "projects", resource="ws-1").current_usage == 4
    assert check(world, environment, "projects", resource="ws-2").current_usage == 0


# -- usage periods ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan", "feature", "moment", "start", "end"),
    [
        # MONTH from the subscription's start, clamped at month ends without drifting.
        ("free", "api-calls", T0, "2024-01-31T12:00", "2024-02-29T12:00"),
        ("free", "api-calls", T0 + timedelta(days=30), "2024-02-29T12:00", "2024-03-31T12:00"),
        ("free", "api-calls", T0 + timedelta(days=61), "2024-03-31T12:00", "2024-04-30T12:00"),
        # MONTH at the start of the calendar month.
        ("pro", "api-calls", T0 + timedelta(days=1), "2024-02-01T00:00", "2024-03-01T00:00"),
        # WEEK from the start, and DAY and HOUR aligned to it; YEAR from the start.
        ("yearly", "api-calls", T0 + timedelta(days=8), "2024-02-07T12:00", "2024-02-14T12:00"),
        ("scale", "exports", T0 + timedelta(hours=30), "2024-02-01T12:00", "2024-02-02T12:00"),
        ("scale", "projects", T0 + timedelta(minutes=90), "2024-01-31T13:00", "2024-01-31T14:00"),
        ("yearly", "exports", T0 + timedelta(days=400), "2025-01-31T12:00", "2026-01-31T12:00"),
    ],
)
def test_usage_period_is_computed_from_the_anchor(
    world: Session,
    environment: Environment,
    frozen: clock.FrozenClock,
    plan: str,
    feature: str,
    moment: object,
    start: str,
    end: str,
) -> None:
    subscribe(world, environment, plan, skipTrial=True)
    frozen.set(moment)  # type: ignore[arg-type]
    decision = check(world, environment, feature)
    assert decision.period is not None
    assert decision.period.anchor == T0
    assert decision.period.start.isoformat().startswith(start)
    assert decision.period.end.isoformat().startswith(end)


def test_weekly_on_mondays_follows_the_calendar(
    world: Session, environment: Environment, frozen: clock.FrozenClock
) -> None:
    subscribe(world, environment, "ws-plan", resourceId="ws-1")
    frozen.set(T0 + timedelta(days=3))  # Saturday 2024-02-03
    decision = check(world, environment, "exports", resource="ws-1")
    assert decision.period is not None
    assert decision.period.start.isoformat().startswith("2024-01-29T00:00")
    assert decision.period.end.isoformat().startswith("2024-02-05T00:00")


def test_counted_up_usage_resets_when_the_period_ends(
    world: Session, environment: Environment, frozen: clock.FrozenClock
) -> None:
    subscribe(world, environment, "free")
    report(world, environment, "api-calls", 60)
    frozen.set(T0 + timedelta(days=28, hours=23))  # Feb 29 11:00, the period's last hour
    assert check(world, environment, "api-calls").current_usage == 60
    frozen.set(T0 + timedelta(days=29))  # Feb 29 12:00, the next period
    assert check(world, environment, "api-calls").current_usage == 0
    assert report(world, environment, "api-calls", 5) == 5


def test_fluctuating_usage_never_resets(
    world: Session, environment: Environment, frozen: clock.FrozenClock
) -> None:
    subscribe(world, environment, "free")
    report(world, environment, "seats", 2)
    frozen.advance(timedelta(days=400))
    assert check(world, environment, "seats").current_usage == 2


def test_fluctuating_feature_has_no_period(world: Session, environment: Environment) -> None:
    subscribe(world, environment, "free")
    assert check(world, environment, "seats").period is None


def test_plan_change_resets_counted_up_usage(
    world: Session, environment: Environment, frozen: clock.FrozenClock
) -> None:
    subscribe(world, environment, "free")
    report(world, environment, "projects", 3)
    report(world, environment, "seats", 2)
    frozen.advance(timedelta(hours=1))
    subscribe(world, environment, "pro", skipTrial=True)
    assert check(world, environment, "projects").current_usage == 0
    assert check(world, environment, "seats").current_usage == 2


# -- reporting usage -------------------------------------------------------------------


def test_delta_adds_and_may_be_negative(world: Session, environment: Environment) -> None:
    subscribe(world, environment, "free")
    assert report(world, environment, "seats", 2) == 2
    assert report(world, environment, "seats", -1) == 1


def test_set_replaces_the_usage(world: Session, environment: Environment) -> None:
    from app.models.entitlements import UsageUpdateBehavior

    subscribe(world, environment, "free")
    report(world, environment, "seats", 2)
    assert report(world, environment, "seats", 7, behavior=UsageUpdateBehavior.SET) == 7


def test_repeated_idempotency_key_changes_nothing(world: Session, environment: Environment) -> None:
    subscribe(world, environment, "free")
    assert report(world, environment, "seats", 2, key="k-1") == 2
    assert report(world, environment, "seats", 2, key="k-1") == 2
    assert report(world, environment, "seats", 5, key="k-1") == 2
    assert check(world, environment, "seats").current_usage == 2


def test_other_customers_usage_is_apart(world: Session, environment: Environment) -> None:
    customer(world, environment, "c-2")
    subscribe(world, environment, "free")
    subscribe(world, environment, "free", "c-2")
    report(world, environment, "seats", 2, key="same")
    report(world, environment, "seats", 1, "c-2", key="same")
    assert check(world, environment, "seats").current_usage == 2
    assert check(world, environment, "seats", "c-2").current_usage == 1
