"""provisionCustomer's subscriptionParams and the product's customer journey."""

from __future__ import annotations

from copy import deepcopy

from sqlmodel import Session

from app.customers.service import provision_customer
from app.models import Environment
from tests.subscriptions.factories import apply, catalog_data, states


def provision(session: Session, environment: Environment, customer_id: str, **params: object):  # type: ignore[no-untyped-def]
    data: dict[str, object] = {"customerId": customer_id}
    if params:
        data["subscriptionParams"] = params
    result = provision_customer(session, environment, data)
    session.commit()
    return result


def test_no_subscription_params_creates_no_subscription(
    world: Session, environment: Environment
) -> None:
    result = provision(world, environment, "new")
    assert result.subscription_decision_strategy == "SKIPPED_SUBSCRIPTION_CREATION"
    assert result.subscription is None
    assert states(world, "new") == []


def test_requested_plan_is_provisioned(world: Session, environment: Environment) -> None:
    result = provision(world, environment, "new", planId="basic", billingPeriod="MONTHLY")
    assert result.subscription_decision_strategy == "REQUESTED_PLAN"
    assert states(world, "new") == [("basic", "ACTIVE", False)]


def test_existing_customer_keeps_its_subscriptions(
    world: Session, environment: Environment
) -> None:
    provision(world, environment, "new", planId="basic", billingPeriod="MONTHLY")
    again = provision(world, environment, "new", planId="free")
    assert again.subscription_decision_strategy == "SKIPPED_SUBSCRIPTION_CREATION"
    assert states(world, "new") == [("basic", "ACTIVE", False)]


def test_journey_can_override_the_requested_plan_with_the_free_plan(
    world: Session, environment: Environment
) -> None:
    data = deepcopy(catalog_data())
    data["products"][0]["customerJourney"]["overrideRequestedPlan"] = True
    apply(world, environment, data)
    result = provision(world, environment, "new", planId="basic", billingPeriod="MONTHLY")
    assert result.subscription_decision_strategy == "PREDEFINED_FREE_PLAN"
    assert states(world, "new") == [("free", "ACTIVE", False)]


def test_journey_can_start_new_customers_on_a_trial(
    world: Session, environment: Environment
) -> None:
    data = deepcopy(catalog_data())
    data["products"][0]["customerJourney"] = {
        "initialPlan": "enterprise",
        "initialPlanIsTrial": True,
        "overrideRequestedPlan": True,
        "fallbackPlan": "free",
    }
    apply(world, environment, data)
    result = provision(world, environment, "new", planId="basic", billingPeriod="MONTHLY")
    assert result.subscription_decision_strategy == "PREDEFINED_TRIAL_PLAN"
    assert states(world, "new") == [("enterprise", "IN_TRIAL", True)]
