"""The metadata billing-sync tags Stripe objects with stays within Stripe's limits and
within the room the API leaves for it beside a client's own keys."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.billing import customers, limits, subscriptions
from app.customers.schemas import check_customer_id

LONGEST_ID = "c" * 255


def _customer() -> customers.CustomerSnapshot:
    return customers.CustomerSnapshot(
        id="0" * 36,
        environment_id="e" * 36,
        customer_id=check_customer_id(LONGEST_ID),
        name=None,
        email=None,
        billing_id=None,
        archived=False,
        sync_generation=1,
        synced_generation=0,
        payment_method_generation=None,
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
    )


def _subscription() -> subscriptions.DesiredSubscription:
    return subscriptions.DesiredSubscription(
        id="0" * 36,
        ref_id="s" * 255,
        environment_id="e" * 36,
        customer_id="0" * 36,
        status="ACTIVE",
        paid=True,
        billing_id=None,
        sync_generation=1,
        items=(),
        coupon_id=None,
        promotion_code_id=None,
        promotion_coupon_id=None,
        is_trial=False,
        trial_end_date=None,
        start_date=datetime(2024, 1, 1, tzinfo=UTC),
        effective_end_date=None,
    )


@pytest.mark.parametrize(
    "tags",
    [
        pytest.param(customers.customer_params(_customer(), None)["metadata"], id="customer"),
        pytest.param(subscriptions.metadata(_subscription()), id="subscription"),
    ],
)
def test_own_metadata_fits_its_room(tags: dict[str, str]) -> None:
    assert len(tags) <= limits.OWN_METADATA_KEYS
    for key, value in tags.items():
        assert key.startswith(limits.OWN_METADATA_PREFIX)
        assert len(key) <= limits.METADATA_KEY_LENGTH
        assert len(value) <= limits.METADATA_VALUE_LENGTH
