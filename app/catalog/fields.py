"""The building blocks of catalog specs: ids, references, names, amounts, metadata.

Each type checks one value and says what is wrong in a short phrase that reads well
after its path (``plans[0].id: may contain only letters, digits, single spaces and _ . : -``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Final

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from app.catalog.money import is_country, is_currency

MAX_AMOUNT: Final = Decimal("999999999999")
_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:- ")
# Stripe takes promotion codes of letters, digits and dashes only (the ``code``
# parameter's description in its OpenAPI description); they are stored upper-case.
_CODE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")

# The error type of a reference to an id the file does not declare.
REFERENCE_ERROR: Final = "unknown_reference"


def problem(message: str, kind: str = "catalog") -> PydanticCustomError:
    return PydanticCustomError(kind, "{message}", {"message": message})


def _ref_id(value: str) -> str:
    # ^[A-Za-z0-9][A-Za-z0-9_.:-]*( [A-Za-z0-9_.:-]+)*$ of at most 255 characters, spelled
    # out so the message can say it plainly. A space may separate words ("your coupon id",
    # as the platform's guides write ids), never lead, trail or double.
    if not (0 < len(value) <= 255 and value[0].isascii() and value[0].isalnum()):
        raise problem("must start with a letter or digit and be at most 255 characters")
    if not set(value) <= _ID_CHARS:
        raise problem("may contain only letters, digits, single spaces and _ . : -")
    if value.endswith(" ") or "  " in value:
        raise problem("may not end with a space or hold two spaces in a row")
    return value


def _currency(value: str) -> str:
    if not is_currency(value):
        raise problem(f"{value!r} is not an ISO 4217 currency code (upper-case, e.g. USD)")
    return value


def _country(value: str) -> str:
    if not is_country(value):
        raise problem(f"{value!r} is not an ISO-3166-1 alpha-2 country code (e.g. DK)")
    return value


def _promotion_code(value: str) -> str:
    code = value.upper()
    if not (0 < len(code) <= 64 and set(code) <= _CODE_CHARS):
        raise problem("must be 1-64 letters, digits or dashes (-)")
    return code


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (datetime, date)):
        raise problem("must hold only text, numbers, booleans, lists and mappings (quote dates)")
    if isinstance(value, list):
        return [_json_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _json_value(item) for key, item in value.items()}
    return value


def _metadata(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """Metadata is stored as JSON, so YAML's exact decimals become plain JSON numbers."""
    return None if value is None else {key: _json_value(item) for key, item in value.items()}


def _dimension_value(value: object) -> object:
    """Events' dimensions are compared as text or numbers, so a value is kept as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    return value


def _reference(noun: str) -> AfterValidator:
    """A reference to a ``noun`` that the file declares (checked when parsing a file)."""

    def check(value: str, info: ValidationInfo) -> str:
        known: Mapping[str, frozenset[str]] | None = (info.context or {}).get("known")
        if known is not None and value not in known[noun]:
            raise problem(f"unknown {noun} {value!r}", REFERENCE_ERROR)
        return value

    return AfterValidator(check)


RefId = Annotated[str, AfterValidator(_ref_id)]
ProductRef = Annotated[RefId, _reference("product")]
FeatureRef = Annotated[RefId, _reference("feature")]
PlanRef = Annotated[RefId, _reference("plan")]
AddonRef = Annotated[RefId, _reference("addon")]
CouponRef = Annotated[RefId, _reference("coupon")]
Currency = Annotated[str, AfterValidator(_currency)]
Country = Annotated[str, AfterValidator(_country)]
PromotionCode = Annotated[str, AfterValidator(_promotion_code)]
Name = Annotated[str, Field(min_length=1, max_length=255)]
# A value a meter's condition compares an event's dimension with; numbers and booleans
# written in the file are kept as the text they were written as.
DimensionValue = Annotated[str, BeforeValidator(_dimension_value)]
Description = Annotated[str | None, Field(max_length=5000)]
Metadata = Annotated[dict[str, Any] | None, AfterValidator(_metadata)]
# Decimals beyond a currency's minor unit are refused for flat fees by the rules; 12 is
# the most any price may have (Stripe's unit_amount_decimal).
Amount = Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, decimal_places=12)]
Quantity = Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, decimal_places=6)]


class Spec(BaseModel):
    """A part of the file: camelCase keys, nothing unknown, never changed once read."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, frozen=True)
