from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session

from app import clock
from app.models import Environment
from tests.subscriptions.factories import T0, apply, catalog_data, customer


@pytest.fixture
def frozen() -> Iterator[clock.FrozenClock]:
    moment = clock.FrozenClock(T0)
    clock.set_clock(moment)
    yield moment
    clock.set_clock(None)


@pytest.fixture
def world(session: Session, environment: Environment, frozen: clock.FrozenClock) -> Session:
    """The test catalog applied and customer c-1 provisioned, at T0."""
    apply(session, environment, catalog_data())
    customer(session, environment)
    return session
