"""Currencies, countries and decimal places.

pycountry knows which ISO 4217 codes exist but not how many decimals each allows, so
the minor units that differ from 2 are listed here (ISO 4217 table A.1). Stripe expects
amounts in minor units, so this is also how a price becomes a Stripe ``unit_amount``.
"""

from __future__ import annotations

from decimal import Decimal

import pycountry

# ISO 4217 currencies whose minor unit is not 2 decimals.
_ZERO_DECIMALS = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE_DECIMALS = "BHD IQD JOD KWD LYD OMR TND"
_FOUR_DECIMALS = "CLF UYW"
_MINOR_UNITS: dict[str, int] = {
    code: places
    for codes, places in ((_ZERO_DECIMALS, 0), (_THREE_DECIMALS, 3), (_FOUR_DECIMALS, 4))
    for code in codes.split()
}

# Codes pycountry lists that are not money one can be billed in: precious metals,
# special drawing rights, bond units and the testing / "no currency" codes.
_NOT_BILLABLE = frozenset(
    {"XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA", "XXX"}
)


def is_currency(code: str) -> bool:
    """An upper-case ISO 4217 code that prices can be billed in."""
    return (
        len(code) == 3
        and code.isupper()
        and code not in _NOT_BILLABLE
        and pycountry.currencies.get(alpha_3=code) is not None
    )


def is_country(code: str) -> bool:
    """An upper-case ISO-3166-1 alpha-2 code."""
    return len(code) == 2 and code.isupper() and pycountry.countries.get(alpha_2=code) is not None


def minor_units(currency: str) -> int:
    """How many decimals an amount in ``currency`` may have (JPY 0, USD 2, KWD 3)."""
    return _MINOR_UNITS.get(currency, 2)


def decimal_places(amount: Decimal) -> int:
    """Significant decimals: ``Decimal("10.50")`` has 1, ``Decimal("1E+3")`` has 0."""
    exponent = amount.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def to_minor_units(amount: Decimal, currency: str) -> Decimal:
    """``amount`` in the currency's smallest unit (cents for USD); exact, never rounded."""
    return amount.scaleb(minor_units(currency))
