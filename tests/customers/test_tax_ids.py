"""The tax id rules the API applies are Stripe's: its list of types and its value shapes."""

from __future__ import annotations

from typing import get_args

import pytest
from stripe.params import CustomerCreateParamsTaxIdDatum

from app.customers import tax_ids
from tests.stripe_server import tax_ids as server_rules
from tests.stripe_server.errors import StripeError


def test_tax_id_types_are_the_stripe_packages_list() -> None:
    literal = get_args(CustomerCreateParamsTaxIdDatum.__annotations__["type"])[0]
    assert frozenset(get_args(literal)) == tax_ids.TAX_ID_TYPES


def _server_accepts(kind: str, value: str) -> bool:
    try:
        server_rules.check(kind, value, "value")
    except StripeError:
        return False
    return True


SAMPLES = [
    ("eu_vat", "DE123456789"),
    ("eu_vat", "de 123 456 789"),
    ("eu_vat", "DE12345678"),
    ("eu_vat", "ATU12345678"),
    ("eu_vat", "AT12345678"),
    ("eu_vat", "NL123456789B12"),
    ("eu_vat", "GR123456789"),
    ("eu_vat", "EL123456789"),
    ("eu_vat", "XI123456789"),
    ("eu_vat", "FRAB123456789"),
    ("eu_vat", "FRIO123456789"),
    ("eu_vat", "US123456789"),
    ("gb_vat", "GB123456789"),
    ("gb_vat", "GB12345678"),
    ("gb_vat", "123456789"),
    ("us_ein", "12-3456789"),
    ("us_ein", "123456789"),
    ("us_ein", "12-345678"),
    ("au_abn", "12345678912"),
    ("au_abn", "1234567891"),
    ("ca_bn", "123456789"),
    ("ca_bn", "123456789RT0001"),
    ("ch_vat", "CHE-123.456.789 MWST"),
    ("ch_vat", "CHE123456789TVA"),
    ("ch_vat", "CHE-123.456.789"),
    ("no_vat", "123456789MVA"),
    ("no_vat", "123456789"),
    ("in_gst", "12ABCDE3456FGZH"),
    ("in_gst", "12ABCDE3456FG1H"),
    ("nz_gst", "123456789"),
    ("nz_gst", "1234567"),
    ("jp_cn", "anything at all"),
]


@pytest.mark.parametrize(("kind", "value"), SAMPLES)
def test_value_rules_agree_with_stripes(kind: str, value: str) -> None:
    assert (tax_ids.value_problem(kind, value) is None) == _server_accepts(kind, value)


def test_a_refused_value_names_an_example_of_its_country() -> None:
    problem = tax_ids.value_problem("eu_vat", "NL12345")
    assert problem is not None
    assert "NL123456789B12" in problem
