"""What an operator and a caller see of the sync: refusals recorded with a code and a safe
message and cleared by the next success, client-supplied Stripe customers checked, and
environments sharing one Stripe account kept apart."""

from __future__ import annotations

import stripe
from sqlmodel import Session, select

from app.billing.catalog import sync_catalog
from app.billing.subscriptions import sync_subscription
from app.catalog.schemas import load_catalog
from app.catalog.service import apply_catalog
from app.config import Settings
from app.customers.service import provision_customer
from app.models import Environment, Subscription
from app.subscriptions import service
from tests.billing.conftest import card_on_file
from tests.billing.test_sync import customer, eventually
from tests.conftest import EXAMPLE_CATALOG, GraphQL

GET_CUSTOMER = """
query($id: String!) {
  getCustomerByRefId(input: {customerId: $id}) {
    customerId billingId hasPaymentMethod billingSyncError billingSyncErrorCode
  }
}"""
PROVISION_CUSTOMER = """
mutation($input: ProvisionCustomerInput!) {
  provisionCustomer(input: $input) { customer { customerId } }
}"""
UPDATE_CUSTOMER = """
mutation($input: UpdateCustomerInput!) {
  updateOneCustomer(input: $input) { customerId }
}"""


def shown(api: GraphQL, customer_id: str = "c-1") -> dict[str, object]:
    return dict(api(GET_CUSTOMER, {"id": customer_id})["getCustomerByRefId"])


def test_a_declined_card_is_recorded_and_a_good_one_then_goes_through(
    billing_api: GraphQL,
) -> None:
    customer(billing_api, billingInformation={"paymentMethodId": "pm_card_chargeDeclined"})
    refused = eventually(lambda: shown(billing_api)["billingSyncErrorCode"])
    assert refused == "PAYMENT_DECLINED"
    first = shown(billing_api)
    assert first["hasPaymentMethod"] is False
    assert "Traceback" not in str(first["billingSyncError"])
    assert str(first["billingId"]).startswith("cus_")
    billing_api(
        UPDATE_CUSTOMER,
        {"input": {"customerId": "c-1", "billingInformation": {"paymentMethodId": "pm_card_visa"}}},
    )
    assert eventually(lambda: shown(billing_api)["hasPaymentMethod"])
    after = shown(billing_api)
    assert after["billingSyncError"] is None
    assert after["billingSyncErrorCode"] is None
    assert after["billingId"] == first["billingId"]


def test_a_billing_id_of_another_customer_is_refused(billing_api: GraphQL) -> None:
    customer(billing_api, billingInformation={"paymentMethodId": "pm_card_visa"})
    billing_id = eventually(lambda: shown(billing_api)["billingId"])
    error = billing_api.error(
        PROVISION_CUSTOMER, {"input": {"customerId": "c-2", "billingId": billing_id}}
    )
    assert error["extensions"]["code"] == "BILLING_ID_IN_USE"
    assert error["extensions"]["field"] == "input.billingId"


def test_an_untagged_stripe_customer_links_to_one_customer_only(
    billing_api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    existing = stripe_client.v1.customers.create({"name": "Imported Ltd"}).id
    customer(billing_api, billingId=existing)
    assert shown(billing_api)["billingId"] == existing
    error = billing_api.error(
        PROVISION_CUSTOMER, {"input": {"customerId": "c-2", "billingId": existing}}
    )
    assert error["extensions"]["code"] == "BILLING_ID_IN_USE"


def test_a_billing_id_of_another_environment_is_refused(
    billing_api: GraphQL, other_api_key: str
) -> None:
    customer(billing_api, billingInformation={"paymentMethodId": "pm_card_visa"})
    billing_id = eventually(lambda: shown(billing_api)["billingId"])
    other = GraphQL(billing_api.client, other_api_key)
    error = other.error(
        PROVISION_CUSTOMER, {"input": {"customerId": "c-1", "billingId": billing_id}}
    )
    assert error["extensions"]["code"] == "BILLING_ID_IN_USE"
    assert error["extensions"]["field"] == "input.billingId"


def test_a_billing_id_unknown_to_stripe_is_refused(billing_api: GraphQL) -> None:
    error = billing_api.error(
        PROVISION_CUSTOMER, {"input": {"customerId": "c-9", "billingId": "cus_doesnotexist"}}
    )
    assert error["extensions"]["code"] == "BILLING_ID_NOT_FOUND"


def test_two_environments_sharing_one_stripe_account_both_sync(
    session: Session,
    environment: Environment,
    other_environment: Environment,
    billing_settings: Settings,
    stripe_client: stripe.StripeClient,
) -> None:
    spec = load_catalog(EXAMPLE_CATALOG.read_text(), EXAMPLE_CATALOG.name)
    for env in (environment, other_environment):
        apply_catalog(session, env, spec)
    session.commit()
    first = sync_catalog(environment.id)
    second = sync_catalog(other_environment.id)
    # The promotion code's text is the account's to give once; the other environment's
    # subscriptions then carry its coupon instead. Everything else is the second's own.
    assert second == first - 1
    for env in (environment, other_environment):
        made = provision_customer(session, env, {"customerId": "c-1"})
        card_on_file(session, made.customer.id)
        outcome = service.provision_subscription(
            session,
            env,
            {
                "customerId": "c-1",
                "planId": "plan-revvenu-sites-pro",
                "billingPeriod": "MONTHLY",
                "promotionCode": "STIGG30",
                "resourceId": "site-1",
                "skipTrial": True,
            },
        )
        session.commit()
        sync_subscription(outcome.subscription.id)
    rows = session.exec(select(Subscription).where(Subscription.billing_id.isnot(None))).all()  # type: ignore[union-attr]
    assert len(rows) == 2
    for row in rows:
        session.refresh(row)
        remote = stripe_client.v1.subscriptions.retrieve(row.billing_id or "")
        assert remote.status == "active"
        assert remote.discounts


def _failed_attempt(customer_id: str, error_type: str, retries: int) -> None:
    from workers.billing import record_failure

    record_failure(
        {
            "actor_name": "billing.sync_customer",
            "kwargs": {"customer_id": customer_id, "generation": 1, "sealed": "x"},
            "options": {"retries": retries},
        },
        {"type": error_type, "message": "Traceback ... secret details"},
    )


def test_a_failed_attempt_that_will_be_retried_records_nothing(
    session: Session, environment: Environment
) -> None:
    made = provision_customer(session, environment, {"customerId": "c-1"})
    made.customer.payment_method_generation = 1
    session.commit()
    _failed_attempt(made.customer.id, "BillingRateLimited", retries=1)
    session.refresh(made.customer)
    assert made.customer.billing_sync_error_code is None
    assert made.customer.payment_method_pending


def test_the_last_failed_attempt_is_recorded_with_a_code_and_a_safe_message(
    session: Session, environment: Environment
) -> None:
    made = provision_customer(session, environment, {"customerId": "c-1"})
    made.customer.payment_method_generation = 1
    session.commit()
    _failed_attempt(made.customer.id, "BillingUnavailable", retries=13)
    session.refresh(made.customer)
    assert made.customer.billing_sync_error_code == "BILLING_UNAVAILABLE"
    assert "secret" not in (made.customer.billing_sync_error or "")
    assert not made.customer.payment_method_pending


def test_an_unknown_failure_is_recorded_without_its_text(
    session: Session, environment: Environment
) -> None:
    made = provision_customer(session, environment, {"customerId": "c-1"})
    session.commit()
    _failed_attempt(made.customer.id, "KeyError", retries=13)
    session.refresh(made.customer)
    assert made.customer.billing_sync_error_code == "BILLING_SYNC_FAILED"
    assert "KeyError" not in (made.customer.billing_sync_error or "")


def test_customers_whose_ids_differ_only_in_case_get_stripe_customers_of_their_own(
    billing_api: GraphQL, stripe_client: stripe.StripeClient
) -> None:
    customer(billing_api, "c-1", billingInformation={"paymentMethodId": "pm_card_visa"})
    first = eventually(lambda: shown(billing_api, "c-1")["billingId"])
    customer(billing_api, "C-1", billingInformation={"paymentMethodId": "pm_card_visa"})
    second = eventually(lambda: shown(billing_api, "C-1")["billingId"])
    assert first != second
    tags = stripe_client.v1.customers.retrieve(str(second)).to_dict()["metadata"]
    assert tags["billing_sync_customer_id"] == "C-1"


def test_a_card_that_never_reached_stripe_is_given_up_by_the_sweep(
    session: Session, environment: Environment, billing_settings: Settings
) -> None:
    from datetime import timedelta

    from app.billing.sweep import CARD_LOST_AFTER_SECONDS, sweep
    from app.models.base import utcnow

    made = provision_customer(session, environment, {"customerId": "c-1"})
    made.customer.payment_method_generation = 1
    made.customer.payment_method_requested_at = utcnow() - timedelta(seconds=60)
    session.commit()
    assert not any(d.kind == "lost_card" for d in sweep(3600).differences)
    session.refresh(made.customer)
    assert made.customer.payment_method_pending  # still on its way: not given up yet
    made.customer.payment_method_requested_at = utcnow() - timedelta(
        seconds=CARD_LOST_AFTER_SECONDS + 60
    )
    session.commit()
    found = [d for d in sweep(3600, dry_run=True).differences if d.kind == "lost_card"]
    assert [d.object_id for d in found] == ["c-1"]
    session.refresh(made.customer)
    assert made.customer.payment_method_pending  # a dry run changes nothing
    sweep(3600)
    session.refresh(made.customer)
    assert not made.customer.payment_method_pending
    assert made.customer.billing_sync_error_code == "PAYMENT_METHOD_LOST"


def test_an_older_card_arriving_late_does_not_replace_the_newer_one(
    session: Session,
    environment: Environment,
    billing_settings: Settings,
    stripe_client: stripe.StripeClient,
) -> None:
    from app.billing import state
    from app.billing.customers import sync_customer
    from app.customers.schemas import BillingInformation

    made = provision_customer(session, environment, {"customerId": "c-1"})
    old = BillingInformation(paymentMethodId="pm_card_visa")
    new = BillingInformation(paymentMethodId="pm_card_mastercard")
    first = state.request_customer_sync(session, made.customer, old).kwargs["generation"]
    second = state.request_customer_sync(session, made.customer, new).kwargs["generation"]
    session.commit()
    sync_customer(made.customer.id, new, generation=second)
    sync_customer(made.customer.id, old, generation=first)  # the retried, older job
    session.refresh(made.customer)
    remote = stripe_client.v1.customers.retrieve(made.customer.billing_id or "")
    default = remote.invoice_settings.default_payment_method if remote.invoice_settings else None
    method = stripe_client.v1.payment_methods.retrieve(str(default))
    assert method.card is not None and method.card.brand == "mastercard"
    assert made.customer.has_payment_method
    assert not made.customer.payment_method_pending
