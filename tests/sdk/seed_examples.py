"""The Python SDK guide's examples (seed 003), each copied as the guide prints it, with
only the import line ours. What the page lost or never had as Python is restored:

- line breaks and indentation, which the page's text flattened (the ``if``/``else`` of
  the entitlement check was one line);
- the comma missing after ``"billingCountryCode":"DK"`` in the provision_subscription
  example, which is a syntax error as printed;
- ``//`` comments of the report_event example written as ``#``.

Each example is a function of its own (they run one by one, each with its answer
returned so the test can look at it); ``SYNC`` holds the same functions with ``await``
taken out, for the sync client, made from this very text so the two cannot drift.
"""

# ruff: noqa: E501, E703, E231, RUF100
from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Any

from billing_sync_sdk import (
    FetchEntitlementQuery,
    FetchEntitlementsQuery,
    GetActiveSubscriptionsInput,
    ProvisionCustomerInput,
    ProvisionSubscriptionInput,
    ReportUsageInput,
    UsageEventsReportInput,
)


# fmt: off
async def provision_customer(client: Any) -> Any:
    data = await client.provision_customer(ProvisionCustomerInput(**{
        "refId": "customer-demo-123",
        "name": "Acme",  # optional
        "email": "john@example.com",  # optional - billing email address
        "couponRefId": "coupon-id",  # optional
        "subscriptionParams": {
            "planId": "plan-revvenu-basic",
            "billingCountryCode": "DK"  # optional, required for price localization, must be in the ISO-3166-1 format
        },
        "billingInformation": {  # optional
            "language": "en",
            "timezone": "America/New_York",
            "billingAddress": {
                "country": "US",
                "city": "New York",
                "state": "NY",
                "addressLine1": "123 Main Street",
                "addressLine2": "Apt. 1",
                "phoneNumber": "+1 212-499-5321",
                "postalCode": "10164"
            },
            "shippingAddress": {
                "country": "US",
                "city": "New York",
                "state": "NY",
                "addressLine1": "123 Main Street",
                "addressLine2": "Apt. 1",
                "phoneNumber": "+1 212-499-5321",
                "postalCode": "10164"
            }
        },
        "additionalMetaData": {  # optional
            "key": "value"
        }
    }))
    return data


async def get_active_subscriptions_list(client: Any) -> Any:
    data = await client.get_active_subscriptions_list(GetActiveSubscriptionsInput(
        **{
            "customerId": "CUSTOMER-ID",
            "resourceId": "RESOURCE-ID"  # optional - pass it to get subscription of specific resource
        }))
    return data


async def provision_subscription(client: Any) -> Any:
    data = await client.provision_subscription(ProvisionSubscriptionInput(
        **{
            "customerId": "customer-id",
            "planId": "plan-revvenu-basic",
            "resourceId": "resource-01",  # optional, required for multiple subscription for same product
            "billingPeriod": "MONTHLY",  # optional, required for paid subscriptions
            "billableFeatures": [{  # optional, required for plans with per-unit pricing
                "featureId": "feature-01-templates",
                "quantity": 2
            }],
            "addons": [  # optional
                {
                    "addonId": "addon-extra-stuff",
                    "quantity": 2
                }
            ],
            "billingCountryCode":"DK",  # optional, required for price localization, must be in the ISO-3166-1 format
            "checkoutOptions": {  # optional
                "successUrl": "https://your-success-url.com",
                "cancelUrl": "https://your-cancel-url.com",
                "allowPromoCodes": True,
                "collectBillingAddress": True,
                "collectPhoneNumber": True,
            },
            "awaitPaymentConfirmation": True,
            "billingInformation": {  # optional
                "couponId": "your coupon id"
            },
            "additionalMetaData": {  # optional
                "key": "value"
            }
        }))
    return data


async def get_entitlement(client: Any) -> Any:
    resp = await client.get_entitlement(FetchEntitlementQuery(
        **{
            "customerId": "customer-id",
            "featureId": "feature-01-templates",
            "options": {
                "requestedUsage": 10
            },
            "resourceId": "resource-01",  # optional, pass it to get entitlement of specific resource
        }))
    if resp.entitlement.is_granted:
        # customer has access to the feature
        pass
    else:
        # access denied
        pass
    return resp


async def get_entitlements(client: Any) -> Any:
    data = await client.get_entitlements(FetchEntitlementsQuery(
        **{
            "customerId": "customer-id",
            "resourceId": "resource-01",  # optional, pass it to get entitlement of specific resource
        }))
    return data


async def report_usage(client: Any) -> Any:
    data = await client.report_usage(ReportUsageInput(
        **{
            "value": 5,
            "customerId": "customer-id",
            "featureId": "feature-02-campaigns",
            "resourceId": "resource-01",  # optional, pass it to report usage for specific resource
        }
    ))
    return data


async def report_usage_set(client: Any) -> Any:
    data = await client.report_usage(ReportUsageInput(
        ** {
            "value": 5,
            "customerId": "customer-id",
            "featureId": "feature-02-campaigns",
            "updateBehavior": "SET",
            "resourceId": "resource-01",  # optional, pass it to report usage for specific resource
        }))
    return data


async def report_event(client: Any) -> Any:
    # report event of a user login
    data = await client.report_event(UsageEventsReportInput(
        ** {
            "usageEvents": [{
                "customerId": "customer-test-id",
                "resourceId": "resource-01",  # optional, pass it to report event for specific resource
                "eventName": "user_login",
                "idempotencyKey": "227c1b73-883a-457b-b715-6ba5a2c69ce4",
                "dimensions": {
                    "user_id": "user-01",
                    "user_email": "john@example.com"
                },
                "timestamp": "2022-10-26T15:01:55.768Z"  # optional, pass it to report event with specific timestamp
            }]
        }));
    return data

# fmt: on


EXAMPLES: dict[str, Callable[[Any], Coroutine[Any, Any, Any]]] = {
    "provision_customer": provision_customer,
    "get_active_subscriptions_list": get_active_subscriptions_list,
    "provision_subscription": provision_subscription,
    "get_entitlement": get_entitlement,
    "get_entitlements": get_entitlements,
    "report_usage": report_usage,
    "report_usage_set": report_usage_set,
    "report_event": report_event,
}


def _without_await(example: Callable[..., Any]) -> Callable[[Any], Any]:
    source = inspect.getsource(example).replace("async def ", "def ").replace("await ", "")
    scope: dict[str, Any] = dict(globals())
    exec(compile(source, __file__, "exec"), scope)  # noqa: S102 - this module's own text
    function: Callable[[Any], Any] = scope[example.__name__]
    return function


SYNC: dict[str, Callable[[Any], Any]] = {
    name: _without_await(example) for name, example in EXAMPLES.items()
}
