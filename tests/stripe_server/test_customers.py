import pytest
import stripe

from tests.stripe_server import StripeTestServer
from tests.stripe_server.factories import customer, price, subscription


def test_customer_round_trips_its_billing_details(stripe_client: stripe.StripeClient) -> None:
    created = stripe_client.v1.customers.create(
        {
            "email": "jenny@example.com",
            "name": "Jenny Rosen",
            "phone": "+15555550100",
            "preferred_locales": ["fr"],
            "address": {"line1": "1 Rue de Rivoli", "city": "Paris", "country": "FR"},
            "tax_id_data": [{"type": "eu_vat", "value": "FR12345678901"}],
            "metadata": {"environment": "dev", "customer_id": "c-1"},
        }
    )

    fetched = stripe_client.v1.customers.retrieve(created.id, {"expand": ["tax_ids"]})

    assert fetched.address is not None and fetched.address.city == "Paris"
    assert fetched.preferred_locales == ["fr"]
    assert fetched.metadata.to_dict() == {"environment": "dev", "customer_id": "c-1"}
    assert fetched.tax_ids is not None
    assert [t.value for t in fetched.tax_ids.data] == ["FR12345678901"]


def test_update_merges_metadata_and_clears_emptied_keys(
    stripe_client: stripe.StripeClient,
) -> None:
    created = stripe_client.v1.customers.create({"metadata": {"a": "1", "b": "2"}})

    updated = stripe_client.v1.customers.update(
        created.id, {"name": "New", "metadata": {"a": "", "c": "3"}}
    )

    assert updated.name == "New"
    assert updated.metadata.to_dict() == {"b": "2", "c": "3"}


def test_payment_method_token_on_create_becomes_the_invoice_default(
    stripe_client: stripe.StripeClient,
) -> None:
    created = customer(stripe_client)

    default = created.invoice_settings.default_payment_method
    methods = stripe_client.v1.customers.payment_methods.list(created.id)

    assert isinstance(default, str) and default.startswith("pm_")
    assert [pm.id for pm in methods.data] == [default]
    assert methods.data[0].card is not None and methods.data[0].card.last4 == "4242"


def test_attach_then_detach_clears_the_default(stripe_client: stripe.StripeClient) -> None:
    created = customer(stripe_client, card=None)
    pm = stripe_client.v1.payment_methods.create({"type": "card", "card": {"token": "tok_visa"}})
    stripe_client.v1.payment_methods.attach(pm.id, {"customer": created.id})
    stripe_client.v1.customers.update(
        created.id, {"invoice_settings": {"default_payment_method": pm.id}}
    )

    detached = stripe_client.v1.payment_methods.detach(pm.id)

    assert detached.customer is None
    refreshed = stripe_client.v1.customers.retrieve(created.id)
    assert refreshed.invoice_settings.default_payment_method is None
    listed = stripe_client.v1.payment_methods.list({"customer": created.id, "type": "card"})
    assert listed.data == []


def test_default_payment_method_must_belong_to_the_customer(
    stripe_client: stripe.StripeClient,
) -> None:
    created = customer(stripe_client, card=None)
    stray = stripe_client.v1.payment_methods.create({"type": "card", "card": {"token": "tok_visa"}})

    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_client.v1.customers.update(
            created.id, {"invoice_settings": {"default_payment_method": stray.id}}
        )

    assert error.value.param == "invoice_settings[default_payment_method]"


def test_declining_card_cannot_be_attached(stripe_client: stripe.StripeClient) -> None:
    created = customer(stripe_client, card=None)

    with pytest.raises(stripe.CardError) as error:
        stripe_client.v1.payment_methods.attach("pm_card_chargeDeclined", {"customer": created.id})

    assert error.value.code == "card_declined"


def test_deleting_a_customer_cancels_its_subscriptions(
    stripe_server: StripeTestServer, stripe_client: stripe.StripeClient
) -> None:
    created = customer(stripe_client)
    sub = subscription(stripe_client, created.id, price(stripe_client).id)

    deleted = stripe_client.v1.customers.delete(created.id)

    assert deleted.deleted is True
    assert stripe_client.v1.subscriptions.retrieve(sub.id).status == "canceled"
    assert stripe_client.v1.customers.retrieve(created.id).deleted is True
    assert [e["type"] for e in stripe_server.events()][-2:] == [
        "customer.subscription.deleted",
        "customer.deleted",
    ]


def test_list_filters_by_email_and_search_finds_by_metadata(
    stripe_client: stripe.StripeClient,
) -> None:
    stripe_client.v1.customers.create({"email": "a@example.com", "metadata": {"local_id": "1"}})
    wanted = stripe_client.v1.customers.create(
        {"email": "b@example.com", "metadata": {"local_id": "2"}}
    )

    by_email = stripe_client.v1.customers.list({"email": "b@example.com"})
    found = stripe_client.v1.customers.search({"query": "metadata['local_id']:'2'"})

    assert [c.id for c in by_email.data] == [wanted.id]
    assert [c.id for c in found.data] == [wanted.id]


def test_lists_page_newest_first_through_auto_pagination(
    stripe_client: stripe.StripeClient,
) -> None:
    ids = [stripe_client.v1.customers.create({"name": f"c{i}"}).id for i in range(5)]

    first = stripe_client.v1.customers.list({"limit": 2})
    every = [c.id for c in first.auto_paging_iter()]

    assert first.has_more is True
    assert every == list(reversed(ids))


def test_invoice_custom_fields_are_kept_and_at_most_four(
    stripe_client: stripe.StripeClient,
) -> None:
    made = stripe_client.v1.customers.create(
        {"invoice_settings": {"custom_fields": [{"name": "PO", "value": "77"}]}}
    )
    assert made.invoice_settings is not None
    assert made.invoice_settings.to_dict()["custom_fields"] == [{"name": "PO", "value": "77"}]
    five = [{"name": f"f{n}", "value": "x"} for n in range(5)]
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.customers.update(made.id, {"invoice_settings": {"custom_fields": five}})
