"""A customer's billingInformation.metadata becomes the Stripe customer's metadata,
beside the keys billing-sync tags it with; what Stripe would refuse is refused first."""

from __future__ import annotations

from typing import Any

import stripe

from tests.billing.test_sync import customer, eventually
from tests.conftest import GraphQL

PROVISION_CUSTOMER = """
mutation($input: ProvisionCustomerInput!) {
  provisionCustomer(input: $input) { customer { customerId } }
}"""


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


def test_invoice_fields_time_zone_and_currency_reach_the_stripe_customer(
    billing_api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    customer(
        billing_api,
        billingInformation={
            "invoiceCustomFields": {"PO number": "PO-77", "Cost centre": 4100},
            "timezone": "America/New_York",
            "currency": "USD",
        },
    )

    def remote() -> dict[str, Any] | None:
        found = stripe_client.v1.customers.list().data
        shown = found[0].to_dict() if found else None
        return shown if shown and shown["invoice_settings"].get("custom_fields") else None

    shown = eventually(remote)
    assert shown, stripe_client.v1.customers.list().data
    assert shown["invoice_settings"]["custom_fields"] == [
        {"name": "PO number", "value": "PO-77"},
        {"name": "Cost centre", "value": "4100"},
    ]
    assert shown["metadata"]["billing_sync_timezone"] == "America/New_York"
    assert shown["metadata"]["billing_sync_currency"] == "USD"


def test_invoice_fields_beyond_stripes_limits_are_refused(billing_api: GraphQL) -> None:
    fields = {f"field {n}": "x" for n in range(5)}
    error = billing_api.error(
        PROVISION_CUSTOMER,
        {"input": {"customerId": "c-1", "billingInformation": {"invoiceCustomFields": fields}}},
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "invoiceCustomFields" in error["extensions"]["field"]


def test_an_integration_id_is_refused_by_name(billing_api: GraphQL) -> None:
    error = billing_api.error(
        PROVISION_CUSTOMER,
        {"input": {"customerId": "c-1", "billingInformation": {"integrationId": "stripe-2"}}},
    )
    assert error["extensions"]["code"] == "NOT_SUPPORTED"
    assert error["extensions"]["field"] == "input.billingInformation.integrationId"
