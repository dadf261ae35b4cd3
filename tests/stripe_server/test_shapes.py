"""Objects served keep Stripe's shapes: the example objects Stripe publishes
(../shared/stripe/fixtures3.json) and the typed classes of the installed stripe package.

Where the two disagree the typed classes win: a key of the example that the class no
longer declares is not served (listed in DROPPED, so that a change of either side shows
up here), and a key the class declares but the example lacks is served only where
listed in ADDED. Fields Stripe includes only when expanded (INCLUDED) appear only then.
"""

import json
import typing
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe

from tests.stripe_server import StripeTestServer
from tests.stripe_server.factories import customer, price, subscription
from tests.stripe_server.fixtures import TEST_API_KEY

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "stripe" / "fixtures3.json"

CLASSES: dict[str, type[stripe.StripeObject]] = {
    "customer": stripe.Customer,
    "product": stripe.Product,
    "price": stripe.Price,
    "plan": stripe.Plan,
    "coupon": stripe.Coupon,
    "promotion_code": stripe.PromotionCode,
    "discount": stripe.Discount,
    "subscription": stripe.Subscription,
    "subscription_item": stripe.SubscriptionItem,
    "invoice": stripe.Invoice,
    "line_item": stripe.InvoiceLineItem,
    "invoice_payment": stripe.InvoicePayment,
    "payment_intent": stripe.PaymentIntent,
    "payment_method": stripe.PaymentMethod,
    "checkout.session": stripe.checkout.Session,
    "item": stripe.LineItem,
    "tax_id": stripe.TaxId,
    "tax_rate": stripe.TaxRate,
    "event": stripe.Event,
    "deleted_customer": stripe.Customer,
}
DROPPED = {"invoice": {"subscription"}}
ADDED = {"checkout.session": {"tax_id_collection"}}
INCLUDED = {"invoice": {"confirmation_secret", "payments"}, "checkout.session": {"line_items"}}


@cache
def _examples() -> dict[str, Any]:
    if not FIXTURES.exists():
        pytest.skip(f"Stripe's example objects are not at {FIXTURES} (a clone outside CI)")
    resources: dict[str, Any] = json.loads(FIXTURES.read_text())["resources"]
    return resources


def _declared(cls: type) -> dict[str, Any]:
    hints: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        hints.update(getattr(klass, "__annotations__", {}))
    return {
        name: hint
        for name, hint in hints.items()
        if not name.startswith("_") and typing.get_origin(hint) is not typing.ClassVar
    }


def _optional(hint: Any) -> bool:
    return type(None) in typing.get_args(hint) or "Optional" in str(hint) or "None" in str(hint)


def _null_but_required(cls: type, value: Any, path: str) -> list[str]:
    """Fields the typed class declares non-optional that came back null, recursively."""
    if not isinstance(value, dict):
        return []
    problems = [
        f"{path}.{name}"
        for name, hint in _declared(cls).items()
        if name in value and value[name] is None and not _optional(hint)
    ]
    for name, inner in getattr(cls, "_inner_class_types", {}).items():
        problems += _null_but_required(inner, value.get(name), f"{path}.{name}")
    return problems


def _expected_keys(resource: str) -> set[str]:
    example = set(_examples()[resource])
    declared = set(_declared(CLASSES[resource])) | {"id", "object"}
    dropped = example - declared
    assert dropped == DROPPED.get(resource, set()), f"{resource}: example keys not in class"
    return (example - dropped) | ADDED.get(resource, set())


def _served(server: StripeTestServer) -> dict[str, dict[str, Any]]:
    """One raw JSON object of each resource, as the server sends it."""
    client = stripe.StripeClient(
        TEST_API_KEY, base_addresses={"api": server.url}, max_network_retries=0
    )
    buyer = customer(client)
    client.v1.customers.tax_ids.create(buyer.id, {"type": "eu_vat", "value": "DE123456789"})
    pro = price(client)
    coupon = client.v1.coupons.create({"percent_off": 10, "duration": "forever"})
    promo = client.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": coupon.id}})
    vat = client.v1.tax_rates.create(
        {"display_name": "VAT", "percentage": 19, "inclusive": False, "country": "DE"}
    )
    sub = subscription(
        client,
        buyer.id,
        pro.id,
        discounts=[{"promotion_code": promo.id}],
        default_tax_rates=[vat.id],
    )
    session = client.v1.checkout.sessions.create(
        {"mode": "subscription", "line_items": [{"price": pro.id}], "success_url": "https://x.test"}
    )
    gone = client.v1.customers.create({"name": "gone"})
    headers = {"Authorization": f"Bearer {TEST_API_KEY}"}

    def get(path: str) -> Any:
        response = httpx.get(server.url + path, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    invoice = get(f"/v1/invoices/{sub.latest_invoice}")
    payment = get(f"/v1/invoice_payments?invoice={invoice['id']}")["data"][0]
    item = get(f"/v1/subscription_items/{sub['items'].data[0].id}")
    deleted = httpx.delete(f"{server.url}/v1/customers/{gone.id}", headers=headers).json()
    return {
        "customer": get(f"/v1/customers/{buyer.id}"),
        "product": get(f"/v1/products/{pro.product}"),
        "price": get(f"/v1/prices/{pro.id}"),
        "plan": item["plan"],
        "coupon": get(f"/v1/coupons/{coupon.id}"),
        "promotion_code": get(f"/v1/promotion_codes/{promo.id}"),
        "discount": get(f"/v1/subscriptions/{sub.id}?expand[]=discounts")["discounts"][0],
        "subscription": get(f"/v1/subscriptions/{sub.id}"),
        "subscription_item": item,
        "invoice": invoice,
        "line_item": invoice["lines"]["data"][0],
        "invoice_payment": payment,
        "payment_intent": get(f"/v1/payment_intents/{payment['payment']['payment_intent']}"),
        "payment_method": get(
            f"/v1/payment_methods/{buyer.invoice_settings.default_payment_method}"
        ),
        "checkout.session": get(f"/v1/checkout/sessions/{session.id}"),
        "item": get(f"/v1/checkout/sessions/{session.id}/line_items")["data"][0],
        "tax_id": get(f"/v1/customers/{buyer.id}/tax_ids")["data"][0],
        "tax_rate": get(f"/v1/tax_rates/{vat.id}"),
        "event": get("/v1/events?limit=1")["data"][0],
        "deleted_customer": deleted,
    }


@pytest.fixture(scope="module")
def served() -> Any:
    _examples()
    with StripeTestServer() as server:
        yield _served(server)


@pytest.mark.parametrize("resource", sorted(CLASSES))
def test_top_level_keys_match_stripes_example(served: dict[str, Any], resource: str) -> None:
    assert set(served[resource]) == _expected_keys(resource)


@pytest.mark.parametrize("resource", sorted(CLASSES))
def test_object_parses_into_the_sdk_class_without_null_required_fields(
    served: dict[str, Any], resource: str
) -> None:
    cls = CLASSES[resource]
    parsed = cls.construct_from(served[resource], "sk_test")

    assert isinstance(parsed, cls)
    assert _null_but_required(cls, served[resource], resource) == []


def test_included_fields_appear_only_when_expanded() -> None:
    _examples()
    with StripeTestServer() as server:
        client = stripe.StripeClient(
            TEST_API_KEY, base_addresses={"api": server.url}, max_network_retries=0
        )
        sub = subscription(client, customer(client).id, price(client).id)
        plain = client.v1.invoices.retrieve(str(sub.latest_invoice))
        full = client.v1.invoices.retrieve(
            str(sub.latest_invoice), {"expand": sorted(INCLUDED["invoice"])}
        )

    assert not set(plain.to_dict()) & INCLUDED["invoice"]
    assert set(full.to_dict()) == _expected_keys("invoice") | INCLUDED["invoice"]
    assert isinstance(full.payments.data[0], stripe.InvoicePayment)
