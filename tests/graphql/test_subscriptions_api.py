"""Subscriptions over GraphQL: each operation's behaviour and every kind of bad input."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from tests.conftest import GraphQL

SUBSCRIPTION = """
fragment Subscription on CustomerSubscription {
  id subscriptionId refId status startDate endDate trialEndDate cancellationDate
  effectiveEndDate currentBillingPeriodStart currentBillingPeriodEnd billingPeriod
  pricingType customerId resourceId additionalMetaData paymentCollection wasInTrial createdAt
  resource { resourceId }
  customer { customerId }
  plan { refId displayName }
  addons { id quantity addon { refId displayName maxQuantity } }
  prices { usageLimit price { billingModel billingPeriod billingCountryCode featureId
    price { amount currency } feature { refId } } }
  totalPrice { subTotal { amount currency } total { amount currency }
    addonsTotal { amount currency } }
  latestInvoice { billingId }
}"""


def with_subscription(document: str) -> str:
    return document + SUBSCRIPTION


PROVISION_CUSTOMER = with_subscription(
    """
mutation($input: ProvisionCustomerInput!) {
  provisionCustomer(input: $input) {
    subscriptionDecisionStrategy
    subscription { ...Subscription }
  }
}"""
)
PROVISION_V2 = with_subscription(
    """
mutation($input: ProvisionSubscriptionInput!) {
  provisionSubscriptionV2(input: $input) {
    id status checkoutUrl checkoutBillingId subscription { ...Subscription }
  }
}"""
)
PROVISION_V1 = PROVISION_V2.replace("provisionSubscriptionV2", "provisionSubscription")
CREATE = with_subscription(
    """
mutation($input: SubscriptionInput!) {
  createSubscription(subscription: $input) { ...Subscription }
}"""
)
UPDATE = with_subscription(
    """
mutation($input: UpdateSubscriptionInput!) {
  updateOneSubscription(input: $input) { ...Subscription }
}"""
)
CANCEL = with_subscription(
    """
mutation($input: SubscriptionCancellationInput!) {
  cancelSubscription(input: $input) { ...Subscription }
}"""
)
MIGRATE = """
mutation($input: SubscriptionMigrationInput!) {
  migrateSubscriptionToLatest(input: $input) { subscriptionId }
}"""
GET = with_subscription(
    """
query($input: GetSubscriptionInput!) { getSubscription(input: $input) { ...Subscription } }
"""
)
ACTIVE = """
query($input: GetActiveSubscriptionsInput!) {
  getActiveSubscriptions(input: $input) { refId status resourceId plan { refId } }
}"""

ESSENTIALS: dict[str, Any] = {
    "customerId": "c-1",
    "planId": "plan-revvenu-essentials",
    "billingPeriod": "MONTHLY",
    "billableFeatures": [{"featureId": "feature-01-templates", "quantity": 3}],
    "addons": [{"addonId": "addon-10-campaigns", "quantity": 2}],
    "skipTrial": True,
}

pytestmark = pytest.mark.usefixtures("catalog_applied")


def customer(gql: GraphQL, customer_id: str = "c-1") -> None:
    gql(
        "mutation($id: String!) { provisionCustomer(input: {customerId: $id}) "
        "{ customer { id } } }",
        {"id": customer_id},
    )


def provision(gql: GraphQL, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = gql(PROVISION_V2, {"input": {**ESSENTIALS, **fields}})[
        "provisionSubscriptionV2"
    ]
    return result


def subscription(gql: GraphQL, ref_id: str) -> dict[str, Any]:
    found: dict[str, Any] = gql(GET, {"input": {"subscriptionId": ref_id}})["getSubscription"]
    return found


def stored(engine: Engine) -> list[tuple[Any, ...]]:
    """Every subscription row, to show a refused request changed nothing."""
    with engine.connect() as connection:
        return [
            tuple(row)
            for table in ("subscription", "subscription_addon", "subscription_feature_quantity")
            for row in connection.exec_driver_sql(f"SELECT * FROM {table} ORDER BY id")
        ]


def test_provision_subscription_v2_starts_a_paid_subscription(gql: GraphQL) -> None:
    customer(gql)
    result = provision(gql, additionalMetaData={"key": "value"})
    created = result["subscription"]
    assert result["status"] == "SUCCESS"
    assert result["id"] == created["id"]
    assert (result["checkoutUrl"], result["checkoutBillingId"]) == (None, None)
    assert created["status"] == "ACTIVE"
    assert created["subscriptionId"] == created["refId"]
    assert created["customer"] == {"customerId": "c-1"}
    assert created["customerId"] == "c-1"
    assert created["plan"] == {"refId": "plan-revvenu-essentials", "displayName": "Essentials"}
    assert created["billingPeriod"] == "MONTHLY"
    assert created["pricingType"] == "PAID"
    assert created["paymentCollection"] == "NOT_REQUIRED"
    assert created["additionalMetaData"] == {"key": "value"}
    assert created["latestInvoice"] is None
    assert (created["resource"], created["resourceId"]) == (None, None)
    assert created["currentBillingPeriodStart"] < created["currentBillingPeriodEnd"]
    (addon,) = created["addons"]
    assert addon["quantity"] == 2
    assert addon["addon"] == {
        "refId": "addon-10-campaigns",
        "displayName": "10 more campaigns",
        "maxQuantity": 10,
    }


def test_prices_and_total_price_show_what_is_bought(gql: GraphQL) -> None:
    customer(gql)
    created = provision(gql)["subscription"]
    lines = {
        (
            p["price"]["billingModel"],
            p["price"]["featureId"],
            p["usageLimit"],
            p["price"]["price"]["amount"],
        )
        for p in created["prices"]
    }
    assert lines == {
        ("FLAT_FEE", None, None, 10),
        ("PER_UNIT", "feature-01-templates", 3, 5),
        ("FLAT_FEE", None, None, 5),
    }
    per_unit = next(p for p in created["prices"] if p["price"]["billingModel"] == "PER_UNIT")
    assert per_unit["price"]["feature"] == {"refId": "feature-01-templates"}
    assert per_unit["price"]["billingPeriod"] == "MONTHLY"
    assert created["totalPrice"] == {
        "subTotal": {"amount": 35, "currency": "USD"},
        "total": {"amount": 35, "currency": "USD"},
        "addonsTotal": {"amount": 10, "currency": "USD"},
    }


def test_country_prices_are_shown_in_the_country_currency(gql: GraphQL) -> None:
    customer(gql)
    created = provision(gql, billingCountryCode="DK")["subscription"]
    assert {p["price"]["billingCountryCode"] for p in created["prices"]} == {"DK"}
    assert created["totalPrice"]["total"] == {"amount": 75 + 3 * 35 + 2 * 35, "currency": "DKK"}


def test_applied_coupon_discounts_the_total(gql: GraphQL) -> None:
    customer(gql)
    created = provision(gql, appliedCoupon={"couponId": "coupon-vip"})["subscription"]
    assert created["totalPrice"]["subTotal"]["amount"] == 35
    assert created["totalPrice"]["total"]["amount"] == 28  # VIP: 20% off


def test_promotion_code_discounts_the_total(gql: GraphQL) -> None:
    customer(gql)
    created = provision(gql, promotionCode="stigg30")["subscription"]
    assert created["totalPrice"]["total"]["amount"] == 24.5  # STIGG30: 30% off 35


def test_trial_override_configuration_sets_the_trial(gql: GraphQL) -> None:
    customer(gql)
    fields = {k: v for k, v in ESSENTIALS.items() if k != "skipTrial"}
    trial = {"isTrial": True, "trialEndDate": "2099-01-31T10:00:00Z"}
    created = gql(PROVISION_V2, {"input": {**fields, "trialOverrideConfiguration": trial}})[
        "provisionSubscriptionV2"
    ]["subscription"]
    assert created["status"] == "IN_TRIAL"
    assert created["trialEndDate"] == "2099-01-31T10:00:00.000Z"


def test_checkout_options_are_accepted_and_no_checkout_is_needed_without_billing(
    gql: GraphQL,
) -> None:
    customer(gql)
    checkout = {"successUrl": "https://example.com/ok", "cancelUrl": "https://example.com/no"}
    result = provision(gql, checkoutOptions=checkout)
    assert result["status"] == "SUCCESS"
    assert result["checkoutUrl"] is None


def test_provision_subscription_is_the_same_operation_under_its_older_name(
    gql: GraphQL,
) -> None:
    customer(gql)
    result = gql(PROVISION_V1, {"input": ESSENTIALS})["provisionSubscription"]
    assert result["status"] == "SUCCESS"
    assert result["subscription"]["plan"]["refId"] == "plan-revvenu-essentials"


def test_create_subscription_maps_is_trial_to_a_trial(gql: GraphQL) -> None:
    customer(gql)
    fields = {k: v for k, v in ESSENTIALS.items() if k != "skipTrial"}
    created = gql(CREATE, {"input": {**fields, "isTrial": True}})["createSubscription"]
    assert created["status"] == "IN_TRIAL"
    assert created["trialEndDate"] is not None
    assert created["plan"]["refId"] == "plan-revvenu-essentials"


def test_provision_customer_with_subscription_params_returns_the_subscription(
    gql: GraphQL,
) -> None:
    params = {"planId": "plan-revvenu-sites-pro", "billingPeriod": "MONTHLY", "resourceId": "s"}
    result = gql(
        PROVISION_CUSTOMER, {"input": {"customerId": "c-1", "subscriptionParams": params}}
    )["provisionCustomer"]
    assert result["subscriptionDecisionStrategy"] == "REQUESTED_PLAN"
    created = result["subscription"]
    assert created["plan"]["refId"] == "plan-revvenu-sites-pro"
    assert created["customer"] == {"customerId": "c-1"}
    assert created["status"] == "IN_TRIAL"
    assert subscription(gql, created["refId"])["id"] == created["id"]


def test_provision_customer_starts_where_the_products_journey_says(gql: GraphQL) -> None:
    # The example catalog's revvenu journey starts every new customer on its free plan,
    # whatever plan provisionCustomer asks for.
    params = {"planId": "plan-revvenu-basic", "billingPeriod": "MONTHLY"}
    result = gql(
        PROVISION_CUSTOMER, {"input": {"customerId": "c-1", "subscriptionParams": params}}
    )["provisionCustomer"]
    assert result["subscriptionDecisionStrategy"] == "PREDEFINED_FREE_PLAN"
    created = result["subscription"]
    assert (created["plan"]["refId"], created["status"]) == ("plan-revvenu-free", "ACTIVE")


def test_update_changes_quantities_and_keeps_what_was_not_sent(gql: GraphQL) -> None:
    customer(gql)
    ref_id = provision(gql, additionalMetaData={"key": "value"})["subscription"]["refId"]
    updated = gql(
        UPDATE,
        {
            "input": {
                "subscriptionId": ref_id,
                "billableFeatures": [{"featureId": "feature-01-templates", "quantity": 7}],
            }
        },
    )["updateOneSubscription"]
    assert updated["refId"] == ref_id
    assert updated["additionalMetaData"] == {"key": "value"}
    assert [a["quantity"] for a in updated["addons"]] == [2]
    per_unit = next(p for p in updated["prices"] if p["price"]["billingModel"] == "PER_UNIT")
    assert per_unit["usageLimit"] == 7
    assert updated["totalPrice"]["total"]["amount"] == 10 + 7 * 5 + 2 * 5
    assert subscription(gql, ref_id)["totalPrice"] == updated["totalPrice"]


def test_update_by_ref_id_replaces_addons(gql: GraphQL) -> None:
    customer(gql)
    ref_id = provision(gql)["subscription"]["refId"]
    updated = gql(
        UPDATE,
        {"input": {"refId": ref_id, "addons": [{"addonId": "addon-extra-stuff", "quantity": 1}]}},
    )["updateOneSubscription"]
    assert [(a["addon"]["refId"], a["quantity"]) for a in updated["addons"]] == [
        ("addon-extra-stuff", 1)
    ]


def test_cancel_at_end_of_billing_period_keeps_it_active_until_then(gql: GraphQL) -> None:
    customer(gql)
    ref_id = provision(gql)["subscription"]["refId"]
    cancelled = gql(
        CANCEL,
        {
            "input": {
                "subscriptionRefId": ref_id,
                "subscriptionCancellationTime": "END_OF_BILLING_PERIOD",
            }
        },
    )["cancelSubscription"]
    assert cancelled["status"] == "ACTIVE"
    assert cancelled["cancellationDate"] is not None
    assert cancelled["effectiveEndDate"] == cancelled["currentBillingPeriodEnd"]


def test_cancel_immediately_ends_it_and_it_is_no_longer_active(gql: GraphQL) -> None:
    customer(gql)
    ref_id = provision(gql)["subscription"]["refId"]
    cancelled = gql(CANCEL, {"input": {"subscriptionRefId": ref_id}})["cancelSubscription"]
    assert cancelled["status"] == "CANCELED"
    active = gql(ACTIVE, {"input": {"customerId": "c-1"}})["getActiveSubscriptions"]
    assert ref_id not in {s["refId"] for s in active}


def test_migrate_returns_the_subscription_id(gql: GraphQL) -> None:
    customer(gql)
    ref_id = provision(gql)["subscription"]["refId"]
    migrated = gql(MIGRATE, {"input": {"subscriptionId": ref_id}})
    assert migrated == {"migrateSubscriptionToLatest": {"subscriptionId": ref_id}}


def test_get_active_subscriptions_filters_by_resource(gql: GraphQL) -> None:
    customer(gql)
    first = provision(gql, resourceId="site-1")["subscription"]["refId"]
    basic = {"customerId": "c-1", "planId": "plan-revvenu-free", "resourceId": "site-2"}
    second = gql(PROVISION_V2, {"input": basic})["provisionSubscriptionV2"]["subscription"]
    every = gql(ACTIVE, {"input": {"customerId": "c-1"}})["getActiveSubscriptions"]
    assert {first, second["refId"]} <= {s["refId"] for s in every}
    only = gql(ACTIVE, {"input": {"customerId": "c-1", "resourceId": "site-1"}})
    assert only["getActiveSubscriptions"] == [
        {
            "refId": first,
            "status": "ACTIVE",
            "resourceId": "site-1",
            "plan": {"refId": "plan-revvenu-essentials"},
        }
    ]
    assert subscription(gql, first)["resource"] == {"resourceId": "site-1"}


def test_get_subscription_of_another_environment_is_not_found(
    gql: GraphQL, other_api_key: str
) -> None:
    customer(gql)
    ref_id = provision(gql)["subscription"]["refId"]
    other = GraphQL(gql.client, other_api_key)
    error = other.error(GET, {"input": {"subscriptionId": ref_id}})
    assert error["extensions"]["code"] == "SUBSCRIPTION_NOT_FOUND"
    error = other.error(ACTIVE, {"input": {"customerId": "c-1"}})
    assert error["extensions"]["code"] == "CUSTOMER_NOT_FOUND"


def test_billing_information_keeps_references_and_never_the_address(
    gql: GraphQL, engine: Engine
) -> None:
    customer(gql)
    provision(
        gql,
        billingInformation={
            "taxRateIds": ["tax-us-ny"],
            "couponId": "coupon-id",
            "billingAddress": {"line1": "1 Secret Street", "city": "Secretville"},
        },
    )
    with engine.connect() as connection:
        rates = list(
            connection.exec_driver_sql(
                "SELECT t.ref_id FROM subscription_tax_rate s JOIN tax_rate t "
                "ON t.id = s.tax_rate_id"
            )
        )
        coupons = list(
            connection.exec_driver_sql(
                "SELECT c.ref_id FROM subscription s JOIN coupon c ON c.id = s.coupon_id"
            )
        )
    assert [tuple(r) for r in rates] == [("tax-us-ny",)]
    assert [tuple(c) for c in coupons] == [("coupon-id",)]
    dump = "\n".join(str(row) for row in stored(engine))
    for secret in ("1 Secret Street", "Secretville"):
        assert secret not in dump


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("metadata", {"note": "x"}),
        ("taxPercentage", 20),
        ("invoiceDaysUntilDue", 30),
        ("isBackdated", True),
        ("isInvoicePaid", True),
        ("chargeOnBehalfOfAccount", "acct_1"),
        ("integrationId", "stripe"),
    ],
)
def test_billing_information_field_without_effect_is_refused_by_name(
    gql: GraphQL, engine: Engine, field: str, value: Any
) -> None:
    customer(gql)
    error = gql.error(PROVISION_V2, {"input": {**ESSENTIALS, "billingInformation": {field: value}}})
    assert error["extensions"]["code"] == "NOT_SUPPORTED"
    assert error["extensions"]["field"] == f"input.billingInformation.{field}"
    assert stored(engine) == []


def test_unknown_tax_rate_is_refused_like_estimates_refuse_it(gql: GraphQL, engine: Engine) -> None:
    customer(gql)
    error = gql.error(
        PROVISION_V2, {"input": {**ESSENTIALS, "billingInformation": {"taxRateIds": ["txr_no"]}}}
    )
    assert error["extensions"]["code"] == "TAX_RATE_NOT_FOUND"
    assert error["extensions"]["field"] == "input.billingInformation.taxRateIds"
    assert stored(engine) == []


def test_without_an_api_key_nothing_is_provisioned(gql: GraphQL, engine: Engine) -> None:
    customer(gql)
    response = gql.post(PROVISION_V2, {"input": ESSENTIALS}, key=None)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert stored(engine) == []


# Bad input: each gets a clear error with a code, no 500, and nothing stored changes.

BAD_PROVISIONS = [
    pytest.param({"planId": "no-such-plan"}, "PLAN_NOT_FOUND", "planId", id="unknown-plan"),
    pytest.param({"customerId": "nobody"}, "CUSTOMER_NOT_FOUND", "customerId", id="no-customer"),
    pytest.param(
        {"billingPeriod": "WEEKLY"}, "BAD_USER_INPUT", "billingPeriod", id="bad-billing-period"
    ),
    pytest.param(
        {"addons": [{"addonId": "addon-10-campaigns", "quantity": -1}]},
        "INVALID_QUANTITY",
        "quantity",
        id="negative-addon-quantity",
    ),
    pytest.param(
        {"addons": [{"addonId": "no-such-addon"}]}, "ADDON_NOT_FOUND", "addon", id="unknown-addon"
    ),
    pytest.param(
        {"billableFeatures": [{"featureId": "feature-01-templates", "quantity": 2.5}]},
        "BAD_USER_INPUT",
        "quantity",
        id="fractional-quantity",
    ),
    pytest.param({"startDate": "next week"}, "BAD_USER_INPUT", "startDate", id="bad-start-date"),
    pytest.param({"planId": 12}, "BAD_USER_INPUT", "String", id="wrong-type"),
    pytest.param({"unknownField": 1}, "BAD_USER_INPUT", "unknownField", id="unknown-field"),
]


@pytest.mark.parametrize(("fields", "code", "mentions"), BAD_PROVISIONS)
def test_bad_provision_is_refused_and_changes_nothing(
    gql: GraphQL, engine: Engine, fields: dict[str, Any], code: str, mentions: str
) -> None:
    customer(gql)
    provision(gql)
    before = stored(engine)
    error = gql.error(PROVISION_V2, {"input": {**ESSENTIALS, **fields}})
    assert error["extensions"]["code"] == code
    assert mentions in error["message"] or mentions in str(error["extensions"])
    assert stored(engine) == before


BAD_UPDATES = [
    pytest.param(
        {"subscriptionId": "no-such-subscription"},
        "SUBSCRIPTION_NOT_FOUND",
        "subscriptionId",
        id="unknown-subscription",
    ),
    pytest.param(
        {"billingPeriod": "FORTNIGHTLY"}, "BAD_USER_INPUT", "billingPeriod", id="bad-period"
    ),
    pytest.param(
        {"addons": [{"addonId": "addon-10-campaigns", "quantity": -3}]},
        "INVALID_QUANTITY",
        "quantity",
        id="negative-addon-quantity",
    ),
    pytest.param(
        {"billableFeatures": [{"featureId": "no-such-feature", "quantity": 1}]},
        "FEATURE_NOT_FOUND",
        "featureId",
        id="unknown-feature",
    ),
]


@pytest.mark.parametrize(("fields", "code", "mentions"), BAD_UPDATES)
def test_bad_update_is_refused_and_changes_nothing(
    gql: GraphQL, engine: Engine, fields: dict[str, Any], code: str, mentions: str
) -> None:
    customer(gql)
    ref_id = provision(gql)["subscription"]["refId"]
    before = stored(engine)
    error = gql.error(UPDATE, {"input": {"subscriptionId": ref_id, **fields}})
    assert error["extensions"]["code"] == code
    assert mentions in error["message"] or mentions in str(error["extensions"])
    assert stored(engine) == before


BAD_OTHERS = [
    pytest.param(
        CANCEL, {"subscriptionRefId": "nope"}, "SUBSCRIPTION_NOT_FOUND", id="cancel-unknown"
    ),
    pytest.param(
        CANCEL,
        {"subscriptionRefId": "{ref}", "subscriptionCancellationTime": "SPECIFIC_DATE"},
        "INVALID_DATE",
        id="cancel-specific-date-without-end-date",
    ),
    pytest.param(
        CANCEL,
        {"subscriptionRefId": "{ref}", "subscriptionCancellationTime": "TOMORROW"},
        "BAD_USER_INPUT",
        id="cancel-bad-time",
    ),
    pytest.param(MIGRATE, {"subscriptionId": "nope"}, "SUBSCRIPTION_NOT_FOUND", id="migrate"),
    pytest.param(GET, {"subscriptionId": "nope"}, "SUBSCRIPTION_NOT_FOUND", id="get-unknown"),
    pytest.param(ACTIVE, {"customerId": "nobody"}, "CUSTOMER_NOT_FOUND", id="active-unknown"),
]


@pytest.mark.parametrize(("document", "fields", "code"), BAD_OTHERS)
def test_bad_request_is_refused_and_changes_nothing(
    gql: GraphQL, engine: Engine, document: str, fields: dict[str, Any], code: str
) -> None:
    customer(gql)
    ref_id = provision(gql)["subscription"]["refId"]
    before = stored(engine)
    given = {key: ref_id if value == "{ref}" else value for key, value in fields.items()}
    error = gql.error(document, {"input": given})
    assert error["extensions"]["code"] == code
    assert stored(engine) == before


INTROSPECT = """
{ __schema {
    queryType { fields { name args { name type { kind name ofType { name } } } } }
    mutationType { fields { name args { name type { kind name ofType { name } } } } }
    types { name kind inputFields { name } fields { name } enumValues { name } }
} }"""


def test_introspection_lists_the_subscription_operations_and_types(gql: GraphQL) -> None:
    schema = gql(INTROSPECT)["__schema"]

    def arguments(fields: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
        return {
            f["name"]: {
                a["name"]: a["type"]["name"] or a["type"]["ofType"]["name"] for a in f["args"]
            }
            for f in fields
        }

    queries = arguments(schema["queryType"]["fields"])
    mutations = arguments(schema["mutationType"]["fields"])
    assert queries["getActiveSubscriptions"] == {"input": "GetActiveSubscriptionsInput"}
    assert queries["getSubscription"] == {"input": "GetSubscriptionInput"}
    assert queries["coupons"] == {
        "filter": "CouponFilter",
        "sorting": None,  # a list: its name is on the inner type
        "paging": "CursorPaging",
    }
    assert mutations["provisionSubscriptionV2"] == {"input": "ProvisionSubscriptionInput"}
    assert mutations["provisionSubscription"] == {"input": "ProvisionSubscriptionInput"}
    assert mutations["createSubscription"] == {"subscription": "SubscriptionInput"}
    assert mutations["updateOneSubscription"] == {"input": "UpdateSubscriptionInput"}
    assert mutations["cancelSubscription"] == {"input": "SubscriptionCancellationInput"}
    assert mutations["migrateSubscriptionToLatest"] == {"input": "SubscriptionMigrationInput"}

    types = {t["name"]: t for t in schema["types"]}

    def names(type_name: str, part: str) -> set[str]:
        return {item["name"] for item in types[type_name][part]}

    assert {
        "customerId",
        "planId",
        "billingPeriod",
        "addons",
        "billableFeatures",
        "checkoutOptions",
        "trialOverrideConfiguration",
        "appliedCoupon",
        "skipTrial",
    } <= names("ProvisionSubscriptionInput", "inputFields")
    assert {"isTrial", "trialEndBehavior"} <= names("SubscriptionInput", "inputFields")
    assert {"subscriptionRefId", "subscriptionCancellationTime", "endDate"} == names(
        "SubscriptionCancellationInput", "inputFields"
    )
    assert names("ProvisionCustomerSubscriptionInput", "inputFields") == {
        "planId",
        "billingPeriod",
        "resourceId",
        "unitQuantity",
        "billableFeatures",
        "addons",
        "startDate",
        "billingCountryCode",
        "promotionCode",
        "appliedCoupon",
        "trialOverrideConfiguration",
        "additionalMetaData",
        "awaitPaymentConfirmation",
        "subscriptionEntitlements",
    }
    assert {"successUrl", "cancelUrl", "allowPromoCodes", "referenceId"} <= names(
        "CheckoutOptions", "inputFields"
    )
    assert {"taxRateIds", "couponId", "metadata"} <= names("SubscriptionBillingInfo", "inputFields")
    assert {
        "subscriptionId",
        "refId",
        "status",
        "prices",
        "totalPrice",
        "plan",
        "addons",
        "customer",
        "resource",
        "paymentCollection",
        "latestInvoice",
    } <= names("CustomerSubscription", "fields")
    assert names("CustomerSubscriptionTotalPrice", "fields") == {"subTotal", "total", "addonsTotal"}
    assert names("ProvisionSubscriptionResult", "fields") == {
        "id",
        "status",
        "checkoutUrl",
        "checkoutBillingId",
        "subscription",
        "entitlements",
    }
    assert {"usageLimit", "price"} <= names("SubscriptionPrice", "fields")
    assert {"billingModel", "billingPeriod", "price", "feature", "featureId"} <= names(
        "Price", "fields"
    )
    assert {"id", "refId", "displayName", "description", "additionalMetaData"} <= names(
        "Addon", "fields"
    )
    assert {"billingId", "status", "requiresAction", "paymentUrl", "paymentSecret"} <= names(
        "SubscriptionInvoice", "fields"
    )
    enums = {
        "SubscriptionStatus": {
            "ACTIVE",
            "CANCELED",
            "EXPIRED",
            "IN_TRIAL",
            "NOT_STARTED",
            "PAYMENT_PENDING",
        },
        "PaymentCollection": {"ACTION_REQUIRED", "FAILED", "NOT_REQUIRED", "PROCESSING"},
        "SubscriptionCancellationTime": {"END_OF_BILLING_PERIOD", "IMMEDIATE", "SPECIFIC_DATE"},
        "SubscriptionMigrationTime": {"END_OF_BILLING_PERIOD", "IMMEDIATE"},
        "ProvisionSubscriptionStatus": {"PAYMENT_REQUIRED", "SUCCESS"},
        "SubscriptionInvoiceStatus": {"CANCELED", "OPEN", "PAID"},
        "SortDirection": {"ASC", "DESC"},
    }
    for name, values in enums.items():
        assert names(name, "enumValues") == values, name
