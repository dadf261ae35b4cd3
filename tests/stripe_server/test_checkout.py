import pytest
import stripe

from tests.loopback import LOOPBACK
from tests.stripe_server import StripeTestServer
from tests.stripe_server.factories import customer, price


def _session(
    client: stripe.StripeClient, price_id: str, **extra: object
) -> stripe.checkout.Session:
    params = {
        "mode": "subscription",
        "line_items": [{"price": price_id, "quantity": 2}],
        "success_url": "https://app.example.com/done",
        "cancel_url": "https://app.example.com/cancel",
        **extra,
    }
    return client.v1.checkout.sessions.create(params)  # type: ignore[arg-type]


def test_session_carries_the_checkout_options(stripe_client: stripe.StripeClient) -> None:
    session = _session(
        stripe_client,
        price(stripe_client).id,
        allow_promotion_codes=True,
        tax_id_collection={"enabled": True},
        billing_address_collection="required",
        phone_number_collection={"enabled": True},
        client_reference_id="sub-42",
        metadata={"subscription_id": "sub-42"},
    )

    assert session.status == "open" and session.payment_status == "unpaid"
    assert session.url is not None and session.id in session.url
    assert session.allow_promotion_codes is True
    assert session.tax_id_collection is not None and session.tax_id_collection.enabled is True
    assert session.billing_address_collection == "required"
    assert session.phone_number_collection.enabled is True
    assert session.client_reference_id == "sub-42"
    assert session.amount_total == 2000
    items = stripe_client.v1.checkout.sessions.line_items.list(session.id)
    assert [(i.quantity, i.amount_total) for i in items.data] == [(2, 2000)]


def test_completing_a_session_starts_a_paid_subscription(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    session = _session(
        stripe_client,
        price(stripe_client).id,
        customer_email="new@example.com",
        subscription_data={"metadata": {"subscription_id": "s-9"}},
    )

    response = LOOPBACK.post(f"{stripe_server.url}/_test/checkout_sessions/{session.id}/complete")
    assert response.status_code == 200

    done = stripe_client.v1.checkout.sessions.retrieve(
        session.id, {"expand": ["subscription.latest_invoice", "customer"]}
    )
    assert (done.status, done.payment_status) == ("complete", "paid")
    sub = done.subscription
    assert isinstance(sub, stripe.Subscription)
    assert sub.status == "active"
    assert sub.metadata.to_dict() == {"subscription_id": "s-9"}
    assert isinstance(sub.default_payment_method, str)
    assert isinstance(sub.latest_invoice, stripe.Invoice)
    assert sub.latest_invoice.amount_paid == 2000
    assert isinstance(done.customer, stripe.Customer) and done.customer.email == "new@example.com"
    assert stripe_server.events()[-1]["type"] == "checkout.session.completed"


def test_completing_with_a_trial_needs_no_payment(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    buyer = customer(stripe_client, card=None)
    session = _session(
        stripe_client,
        price(stripe_client).id,
        customer=buyer.id,
        subscription_data={"trial_period_days": 14},
    )

    done = stripe_server.complete_checkout_session(session.id)

    assert done["payment_status"] == "no_payment_required"
    assert done["customer"] == buyer.id
    assert stripe_client.v1.subscriptions.retrieve(done["subscription"]).status == "trialing"


def test_promotion_code_entered_on_the_page_is_applied(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    coupon = stripe_client.v1.coupons.create({"percent_off": 50, "duration": "once"})
    promo = stripe_client.v1.promotion_codes.create(
        {"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "HALF"}
    )
    session = _session(stripe_client, price(stripe_client).id, allow_promotion_codes=True)

    done = stripe_server.complete_checkout_session(session.id, promotion_code=promo.id)

    assert done["amount_total"] == 1000
    assert done["total_details"]["amount_discount"] == 1000


def test_expired_session_cannot_be_completed(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    session = _session(stripe_client, price(stripe_client).id)

    expired = stripe_client.v1.checkout.sessions.expire(session.id)

    assert expired.status == "expired"
    assert stripe_server.events()[-1]["type"] == "checkout.session.expired"
    response = LOOPBACK.post(f"{stripe_server.url}/_test/checkout_sessions/{session.id}/complete")
    assert response.status_code == 400


def test_expire_control_over_http(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    session = _session(stripe_client, price(stripe_client).id)

    response = LOOPBACK.post(f"{stripe_server.url}/_test/checkout_sessions/{session.id}/expire")

    assert response.json()["status"] == "expired"


def test_sessions_expire_on_their_own_after_a_day(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    session = _session(stripe_client, price(stripe_client).id)

    stripe_server.advance_time(86_400 + 1)

    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "expired"


def test_only_subscription_mode_is_served(stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_client.v1.checkout.sessions.create(
            {"mode": "payment", "success_url": "https://x.test/ok"}
        )

    assert error.value.param == "mode"
