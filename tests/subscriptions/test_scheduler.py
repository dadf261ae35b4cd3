"""The worker's ticker drives due transitions without anyone calling them."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlmodel import Session

from app import clock
from app.config import Settings
from app.models import Environment
from tests.subscriptions.factories import provision
from workers.broker import build_broker
from workers.runner import start_worker, stop_worker


def test_ticker_converts_a_due_trial_through_the_worker(
    world: Session, environment: Environment, frozen: clock.FrozenClock, settings: Settings
) -> None:
    sub = provision(world, environment, planId="pro", billingPeriod="MONTHLY", unitQuantity=1)
    frozen.advance(timedelta(days=14, seconds=1))
    broker = build_broker(settings)
    worker = start_worker(broker, threads=1, tick_seconds=0.05)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            world.expire_all()
            world.refresh(sub)
            if sub.status == "ACTIVE":
                break
            time.sleep(0.05)
    finally:
        stop_worker(worker)
        broker.close()
    assert (sub.status, sub.is_trial) == ("ACTIVE", False)
