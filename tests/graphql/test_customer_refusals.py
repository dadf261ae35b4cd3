"""Customer input that Stripe would refuse is refused by the API, before anything is stored.

Billing information reaches Stripe in a job after the API has answered, so each of these
would otherwise be a success for the client and a failed sync later.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from tests.conftest import GraphQL
from tests.graphql.test_customers_api import PROVISION, UPDATE, provision, stored


def _refused(gql: GraphQL, engine: Engine, info: dict[str, Any]) -> dict[str, Any]:
    """Provision with ``info`` and then update with it: both refused, nothing changed."""
    provision(gql, customerId="c-1", name="Acme")
    before = stored(engine)
    first = gql.error(PROVISION, {"input": {"customerId": "c-2", "billingInformation": info}})
    second = gql.error(UPDATE, {"input": {"customerId": "c-1", "billingInformation": info}})
    assert first["extensions"] == second["extensions"]
    assert stored(engine) == before
    return first


def test_a_billing_phone_over_20_characters_is_refused(gql: GraphQL, engine: Engine) -> None:
    error = _refused(gql, engine, {"billingAddress": {"phoneNumber": "+45 12 34 56 78 90 12"}})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "input.billingInformation.billingAddress.phoneNumber"
    assert "20 characters" in error["message"]


def test_a_billing_phone_of_20_characters_is_taken(gql: GraphQL) -> None:
    info = {"billingAddress": {"phoneNumber": "+45 12 34 56 78 9012"}}
    assert provision(gql, customerId="c-1", billingInformation=info)["customer"]


def test_a_shipping_phone_over_its_bound_is_refused(gql: GraphQL, engine: Engine) -> None:
    error = _refused(gql, engine, {"shippingAddress": {"phoneNumber": "1" * 41}})
    assert error["extensions"]["field"] == "input.billingInformation.shippingAddress.phoneNumber"


@pytest.mark.parametrize(
    ("tax_id", "field", "mentions"),
    [
        pytest.param(
            {"type": "eu_vat", "value": "DE12345"}, "value", "DE123456789", id="eu-vat-short"
        ),
        pytest.param({"type": "eu_vat", "value": "US123456789"}, "value", "eu_vat", id="eu-vat-us"),
        pytest.param({"type": "gb_vat", "value": "123456789"}, "value", "GB", id="gb-vat-prefix"),
        pytest.param({"type": "us_ein", "value": "12-34"}, "value", "12-3456789", id="us-ein"),
        pytest.param({"type": "au_abn", "value": "1234"}, "value", "au_abn", id="au-abn"),
        pytest.param({"type": "ca_bn", "value": "12345678"}, "value", "ca_bn", id="ca-bn"),
        pytest.param({"type": "ch_vat", "value": "CHE-123"}, "value", "ch_vat", id="ch-vat"),
        pytest.param({"type": "no_vat", "value": "123456789"}, "value", "MVA", id="no-vat"),
        pytest.param({"type": "in_gst", "value": "12ABCDE"}, "value", "in_gst", id="in-gst"),
        pytest.param({"type": "vat", "value": "DE123456789"}, "type", "'vat'", id="unknown-type"),
    ],
)
def test_a_tax_id_stripe_would_refuse_is_refused(
    gql: GraphQL, engine: Engine, tax_id: dict[str, str], field: str, mentions: str
) -> None:
    good = {"type": "eu_vat", "value": "DK12345678"}
    error = _refused(gql, engine, {"taxIds": [good, tax_id]})
    assert error["extensions"]["code"] == "TAX_ID_INVALID"
    assert error["extensions"]["field"] == f"input.billingInformation.taxIds[1].{field}"
    assert mentions in error["message"]


def test_tax_ids_of_stripes_shapes_are_taken(gql: GraphQL) -> None:
    tax_ids = [
        {"type": "eu_vat", "value": "de 123 456 789"},
        {"type": "gb_vat", "value": "GB123456789"},
        {"type": "us_ein", "value": "12-3456789"},
        {"type": "ch_vat", "value": "CHE-123.456.789 MWST"},
        {"type": "jp_cn", "value": "1234567891234"},
    ]
    result = provision(gql, customerId="c-1", billingInformation={"taxIds": tax_ids})
    assert result["customer"]["customerId"] == "c-1"


@pytest.mark.parametrize(
    ("metadata", "mentions"),
    [
        pytest.param({f"k{n}": "v" for n in range(46)}, "at most 45", id="too-many-keys"),
        pytest.param({"k" * 41: "v"}, "1-40 characters", id="long-key"),
        pytest.param({"k": "v" * 501}, "500 characters", id="long-value"),
        pytest.param({"k": {"nested": 1}}, "text, a number or a boolean", id="nested-value"),
        pytest.param({"billing_sync_customer_id": "x"}, "reserved", id="reserved-key"),
    ],
)
def test_billing_metadata_stripe_would_refuse_is_refused(
    gql: GraphQL, engine: Engine, metadata: dict[str, Any], mentions: str
) -> None:
    error = _refused(gql, engine, {"metadata": metadata})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "input.billingInformation.metadata"
    assert mentions in error["message"]


def test_a_language_tag_longer_than_bcp47s_bound_is_refused(gql: GraphQL, engine: Engine) -> None:
    error = _refused(gql, engine, {"language": "en" + "-abcdefgh" * 600})
    assert error["extensions"]["field"] == "input.billingInformation.language"
