from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session

from app import clock
from app.models import Environment
from tests.entitlements.event_factories import apply_metered_catalog, subscribed_customer
from tests.entitlements.factories import T0, apply, customer


@pytest.fixture
def frozen() -> Iterator[clock.FrozenClock]:
    moment = clock.FrozenClock(T0)
    clock.set_clock(moment)
    yield moment
    clock.set_clock(None)


@pytest.fixture
def world(session: Session, environment: Environment, frozen: clock.FrozenClock) -> Session:
    """The rules catalog applied and customer c-1 provisioned (no subscription), at T0."""
    apply(session, environment)
    customer(session, environment)
    return session


@pytest.fixture
def metered(session: Session, environment: Environment) -> Session:
    """The event tests' metered catalog with customer c-1 on its ``metered`` plan."""
    apply_metered_catalog(session, environment)
    subscribed_customer(session, environment)
    return session
