"""The value formats Stripe checks when a tax id is added to a customer.

Stripe refuses a value that does not have its type's shape with `tax_id_invalid` (the
examples in https://docs.stripe.com/billing/customer/tax-ids: `eu_vat` DE123456789 or
ATU12345678, `gb_vat` GB123456789, `us_ein` 12-3456789, `au_abn` 12345678912, ...).
Only the shape is checked, as Stripe does synchronously; registry verification is the
asynchronous `verification.status`, which stays `pending` here. Types without a rule
below accept any value.
"""

from __future__ import annotations

import re

from .errors import StripeError, parameter_error

# The national part of an EU VAT number after its two-letter prefix (EL for Greece, XI
# for Northern Ireland).
_EU_VAT = {
    "AT": r"U\d{8}",
    "BE": r"[01]\d{9}",
    "BG": r"\d{9,10}",
    "CY": r"\d{8}[A-Z]",
    "CZ": r"\d{8,10}",
    "DE": r"\d{9}",
    "DK": r"\d{8}",
    "EE": r"\d{9}",
    "EL": r"\d{9}",
    "ES": r"[A-Z0-9]\d{7}[A-Z0-9]",
    "FI": r"\d{8}",
    "FR": r"[A-HJ-NP-Z0-9]{2}\d{9}",
    "HR": r"\d{11}",
    "HU": r"\d{8}",
    "IE": r"\d[A-Z0-9+*]\d{5}[A-Z]{1,2}",
    "IT": r"\d{11}",
    "LT": r"\d{9}|\d{12}",
    "LU": r"\d{8}",
    "LV": r"\d{11}",
    "MT": r"\d{8}",
    "NL": r"\d{9}B\d{2}",
    "PL": r"\d{10}",
    "PT": r"\d{9}",
    "RO": r"\d{2,10}",
    "SE": r"\d{12}",
    "SI": r"\d{8}",
    "SK": r"\d{10}",
    "XI": r"\d{9}|\d{12}|GD\d{3}|HA\d{3}",
}

_FORMATS = {
    "eu_vat": "(?:" + "|".join(f"{cc}(?:{rest})" for cc, rest in _EU_VAT.items()) + ")",
    "gb_vat": r"GB(?:\d{9}|\d{12}|GD\d{3}|HA\d{3})",
    "us_ein": r"\d{2}-?\d{7}",
    "au_abn": r"\d{11}",
    "au_arn": r"\d{12}",
    "ca_bn": r"\d{9}",
    "ch_vat": r"CHE-?\d{3}\.?\d{3}\.?\d{3}(?:MWST|TVA|IVA)",
    "no_vat": r"\d{9}MVA",
    "in_gst": r"\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]",
    "nz_gst": r"\d{8,9}",
}
_PATTERNS = {kind: re.compile(f"^(?:{pattern})$") for kind, pattern in _FORMATS.items()}


def check(kind: str, value: str, param: str) -> None:
    """Refuse a value that is not of its type's shape (spaces are not significant)."""
    pattern = _PATTERNS.get(kind)
    if pattern is None:
        return
    if not pattern.match(re.sub(r"\s", "", value).upper()):
        raise invalid(kind, param)


def invalid(kind: str, param: str) -> StripeError:
    return parameter_error(f"Invalid value for {kind}.", param=param, code="tax_id_invalid")
