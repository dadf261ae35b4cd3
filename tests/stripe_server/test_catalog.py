import pytest
import stripe

from tests.stripe_server.factories import price


def test_prices_are_found_again_by_lookup_key(stripe_client: stripe.StripeClient) -> None:
    monthly = price(stripe_client, lookup_key="pro_monthly")
    price(stripe_client, lookup_key="pro_yearly", interval="year")

    found = stripe_client.v1.prices.list(
        {"lookup_keys": ["pro_monthly"], "expand": ["data.product"]}
    )

    assert [p.id for p in found.data] == [monthly.id]
    product = found.data[0].product
    assert isinstance(product, stripe.Product) and product.name == "Pro"


def test_a_lookup_key_moves_only_with_transfer_lookup_key(
    stripe_client: stripe.StripeClient,
) -> None:
    old = price(stripe_client, lookup_key="pro")
    with pytest.raises(stripe.InvalidRequestError) as error:
        price(stripe_client, lookup_key="pro")
    assert error.value.param == "lookup_key"

    product_id = str(old.product)
    new = stripe_client.v1.prices.create(
        {
            "product": product_id,
            "unit_amount": 1200,
            "currency": "usd",
            "recurring": {"interval": "month"},
            "lookup_key": "pro",
            "transfer_lookup_key": True,
        }
    )

    assert stripe_client.v1.prices.retrieve(old.id).lookup_key is None
    assert stripe_client.v1.prices.list({"lookup_keys": ["pro"]}).data[0].id == new.id


def test_price_update_archives_and_keeps_metadata(stripe_client: stripe.StripeClient) -> None:
    created = price(stripe_client)

    updated = stripe_client.v1.prices.update(
        created.id, {"active": False, "metadata": {"plan_version": "3"}}
    )

    assert updated.active is False
    assert updated.metadata.to_dict() == {"plan_version": "3"}
    assert stripe_client.v1.prices.list({"active": True}).data == []


def test_product_with_explicit_id_and_metadata_search(stripe_client: stripe.StripeClient) -> None:
    stripe_client.v1.products.create({"id": "plan_pro", "name": "Pro", "metadata": {"plan": "pro"}})

    found = stripe_client.v1.products.search({"query": "metadata['plan']:'pro'"})

    assert [p.id for p in found.data] == ["plan_pro"]
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.products.create({"id": "plan_pro", "name": "Again"})


def test_promotion_codes_are_listed_by_code_and_deactivated(
    stripe_client: stripe.StripeClient,
) -> None:
    coupon = stripe_client.v1.coupons.create(
        {"percent_off": 20, "duration": "repeating", "duration_in_months": 3, "id": "SPRING"}
    )
    promo = stripe_client.v1.promotion_codes.create(
        {"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "SPRING20"}
    )

    listed = stripe_client.v1.promotion_codes.list({"code": "SPRING20"})
    stripe_client.v1.promotion_codes.update(promo.id, {"active": False})

    assert [p.id for p in listed.data] == [promo.id]
    assert listed.data[0].promotion.coupon == "SPRING"
    assert stripe_client.v1.promotion_codes.retrieve(promo.id).active is False


def test_coupon_needs_exactly_one_kind_of_amount(stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.coupons.create({"duration": "once"})
    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_client.v1.coupons.create({"duration": "once", "amount_off": 500})
    assert error.value.param == "currency"
