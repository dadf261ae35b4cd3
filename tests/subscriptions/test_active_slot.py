"""The database itself keeps one live subscription per customer, product, resource and
trial flag: the unique ``active_slot`` index. The service checks the rule first, but the
index is what holds when two writers race (a webhook activating a paid subscription
while a provision replaces it, say)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.models import Environment, Subscription
from tests.subscriptions.factories import provision


def _twin(of: Subscription, ref_id: str) -> Subscription:
    return Subscription.model_validate({**of.model_dump(exclude={"id"}), "ref_id": ref_id})


def test_a_second_live_subscription_in_the_same_slot_is_refused_by_the_database(
    world: Session, environment: Environment
) -> None:
    live = provision(world, environment, planId="free")
    assert live.active_slot is not None
    world.add(_twin(live, "sneaked-in"))
    with pytest.raises(IntegrityError):
        world.commit()
    world.rollback()


def test_ended_subscriptions_leave_their_slot_free(
    world: Session, environment: Environment
) -> None:
    live = provision(world, environment, planId="free")
    ended = _twin(live, "ended-one")
    ended.status = "CANCELED"
    ended.active_slot = None
    world.add(ended)
    world.commit()
    another = _twin(live, "ended-two")
    another.status = "EXPIRED"
    another.active_slot = None
    world.add(another)
    world.commit()


def test_the_same_slot_in_another_environment_is_its_own(
    world: Session, environment: Environment, other_environment: Environment
) -> None:
    live = provision(world, environment, planId="free")
    elsewhere = _twin(live, "elsewhere")
    elsewhere.environment_id = other_environment.id
    world.add(elsewhere)
    world.commit()
