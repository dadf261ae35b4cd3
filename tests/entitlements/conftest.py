"""Fixtures of the event tests: a metered catalog with a subscribed customer, a clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from app import clock
from app.models import Environment
from tests.entitlements.factories import apply_metered_catalog, subscribed_customer


@pytest.fixture
def metered(session: Session, environment: Environment) -> Session:
    """The metered catalog with customer c-1 on the ``metered`` plan."""
    apply_metered_catalog(session, environment)
    subscribed_customer(session, environment)
    return session


@pytest.fixture
def frozen() -> Iterator[clock.FrozenClock]:
    moment = clock.FrozenClock(datetime(2025, 3, 1, 12, 0, tzinfo=UTC))
    clock.set_clock(moment)
    yield moment
    clock.set_clock(None)
