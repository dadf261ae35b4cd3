"""A customer's billingInformation.metadata becomes the Stripe customer's metadata,
beside the keys billing-sync tags it with; what Stripe would refuse is refused first."""

from __future__ import annotations

from typing import Any

import stripe

from tests.billing.test_sync import customer, eventually
from tests.conftest import GraphQL


def test_billing_metadata_reaches_the_stripe_customer(
    billing_api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    metadata = {"tier": "gold", "seats": 3, "vip": True, "k" * 40: "v" * 500}
    customer(billing_api, billingInformation={"metadata": metadata})

    def tags() -> dict[str, Any] | None:
        found = stripe_client.v1.customers.list().data
        return found[0].to_dict()["metadata"] if found else None

    # The Stripe customer is made first and its fields follow: wait for the latter.
    remote = eventually(lambda: (found := tags()) is not None and "tier" in found and found)
    assert remote, tags()
    assert {key: remote.get(key) for key in metadata} == {
        "tier": "gold",
        "seats": "3",
        "vip": "true",
        "k" * 40: "v" * 500,
    }
    assert remote["billing_sync_customer_id"] == "c-1"


def test_the_most_metadata_a_client_may_send_is_taken_by_stripe(
    billing_api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    metadata = {f"key-{n:02}": "v" for n in range(45)}
    customer(billing_api, billingInformation={"metadata": metadata})

    def tags() -> dict[str, Any]:
        found = stripe_client.v1.customers.list().data
        return dict(found[0].to_dict()["metadata"]) if found else {}

    remote = eventually(lambda: len(tags()) == 47 and tags())
    assert remote, tags()
    assert all(remote[key] == "v" for key in metadata)
