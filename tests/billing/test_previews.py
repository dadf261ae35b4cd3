"""Estimates priced by the local engine and by Stripe's invoice preview agree."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session

from app.billing.subscriptions import sync_subscription
from app.config import Settings, set_settings
from app.customers.service import provision_customer
from app.models import Environment
from app.pricing import estimates
from app.subscriptions import service
from tests.billing.conftest import card_on_file

CASES = [
    pytest.param({"unitQuantity": 7}, id="quantity-up"),
    pytest.param({"unitQuantity": 1}, id="quantity-down"),
    pytest.param({"addons": [{"addonId": "extra", "quantity": 2}]}, id="addon-added"),
    pytest.param(
        {"unitQuantity": 4, "addons": [{"addonId": "extra", "quantity": 3}]},
        id="quantity-and-addon",
    ),
]


@pytest.mark.usefixtures("catalog")
@pytest.mark.parametrize("change", CASES)
def test_engine_and_stripe_preview_agree(
    session: Session,
    environment: Environment,
    billing_settings: Settings,
    change: dict[str, Any],
) -> None:
    made = provision_customer(session, environment, {"customerId": "c-1"})
    card_on_file(session, made.customer.id)
    subscription = service.provision_subscription(
        session,
        environment,
        {
            "customerId": "c-1",
            "planId": "pro",
            "billingPeriod": "MONTHLY",
            "skipTrial": True,
            "unitQuantity": 3,
        },
    ).subscription
    session.commit()
    sync_subscription(subscription.id)
    session.refresh(subscription)
    assert subscription.billing_id is not None
    moment = subscription.current_billing_period_start + timedelta(days=9, hours=5)
    data = {"subscriptionId": subscription.ref_id, "prorationDate": moment.isoformat(), **change}
    local = estimates.estimate_subscription_update(session, environment, data)
    set_settings(billing_settings.model_copy(update={"estimates_via_stripe": True}))
    remote = estimates.estimate_subscription_update(session, environment, data)
    set_settings(billing_settings)
    assert local.proration is not None and remote.proration is not None
    assert remote.proration.lines == ()  # the figures did come from Stripe
    assert (remote.proration.credit, remote.proration.debit) == (
        local.proration.credit,
        local.proration.debit,
    )
    assert local.proration.debit > 0
