"""Validated customer inputs.

``BillingInformation`` is checked here (ISO-3166-1 countries, ISO 4217 currencies, BCP 47
language tags, IANA time zones) and then only forwarded, never stored: it is the
billing provider's to keep.
"""

from __future__ import annotations

import json
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pycountry
from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from app.billing import limits
from app.customers import tax_ids
from app.errors import TaxIdInvalid
from app.validation import check_id

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@+-]{0,254}$")
_LANGUAGE = re.compile(r"^([A-Za-z]{2,3})(-[A-Za-z0-9]{1,8})*$")


def check_customer_id(value: str) -> str:
    if not value or not value.strip():
        raise ValueError("must not be empty")
    check_id(value)
    if not _ID.match(value):
        raise ValueError(
            "must be 1-255 characters: letters, digits and . _ : @ + -, starting with a "
            "letter or digit"
        )
    return value


def check_country(value: str) -> str:
    if len(value) != 2 or pycountry.countries.get(alpha_2=value.upper()) is None:
        raise ValueError(f"{value!r} is not an ISO-3166-1 alpha-2 country code")
    return value.upper()


def check_currency(value: str) -> str:
    if len(value) != 3 or pycountry.currencies.get(alpha_3=value.upper()) is None:
        raise ValueError(f"{value!r} is not an ISO 4217 currency code")
    return value.upper()


# How deep metadata may nest (a mapping of mappings of ... of values).
MAX_METADATA_DEPTH = 8


def _depth(value: Any, limit: int) -> int:
    """How deep ``value`` nests, counting no further than ``limit + 1``."""
    if limit < 0 or not isinstance(value, dict | list):
        return 0
    items = value.values() if isinstance(value, dict) else value
    return 1 + max((_depth(item, limit - 1) for item in items), default=0)


def check_metadata(value: dict[str, Any] | None, max_keys: int, max_length: int) -> None:
    if value is None:
        return
    if _depth(value, MAX_METADATA_DEPTH) > MAX_METADATA_DEPTH:
        raise ValueError(f"nests deeper than {MAX_METADATA_DEPTH} levels")
    if len(value) > max_keys:
        raise ValueError(f"has {len(value)} keys; at most {max_keys} are allowed")
    for key, item in value.items():
        if len(key) > max_length:
            raise ValueError(f"key {key[:20]!r}... is longer than {max_length} characters")
        text = item if isinstance(item, str) else json.dumps(item)
        if len(text) > max_length:
            raise ValueError(f"value of {key!r} is longer than {max_length} characters")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Address(_Strict):
    """A shipping address; its phone becomes Stripe's ``shipping.phone`` (5000 characters
    there, so the 40 here is the bound)."""

    country: str | None = None
    city: str | None = Field(default=None, max_length=200)
    state: str | None = Field(default=None, max_length=200)
    addressLine1: str | None = Field(default=None, max_length=500)
    addressLine2: str | None = Field(default=None, max_length=500)
    phoneNumber: str | None = Field(default=None, max_length=40)
    postalCode: str | None = Field(default=None, max_length=40)

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return None if value is None else check_country(value)


def _tax_id_invalid(message: str) -> PydanticCustomError:
    return PydanticCustomError(TaxIdInvalid.error_type, "{message}", {"message": message})


class BillingAddress(Address):
    """The billing address; its phone becomes the Stripe customer's ``phone``, which
    Stripe refuses beyond 20 characters."""

    phoneNumber: str | None = Field(default=None, max_length=20)


class TaxId(_Strict):
    """A tax id Stripe will take: one of its types, with a value of that type's shape."""

    type: str = Field(min_length=1, max_length=40)
    value: str = Field(min_length=1, max_length=100)

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        problem = tax_ids.type_problem(value)
        if problem is not None:
            raise _tax_id_invalid(problem)
        return value

    @field_validator("value")
    @classmethod
    def _value(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("type")
        problem = None if kind is None else tax_ids.value_problem(kind, value)
        if problem is not None:
            raise _tax_id_invalid(problem)
        return value


class BillingInformation(_Strict):
    language: str | None = Field(default=None, max_length=35)
    timezone: str | None = None
    currency: str | None = None
    billingAddress: BillingAddress | None = None
    shippingAddress: Address | None = None
    # The same bound as a subscription's: a customer holds a handful of tax ids.
    taxIds: list[TaxId] | None = Field(default=None, max_length=20)
    paymentMethodId: str | None = Field(default=None, max_length=255)
    customerName: str | None = Field(default=None, max_length=255)
    integrationId: str | None = Field(default=None, max_length=255)
    metadata: dict[str, Any] | None = None
    invoiceCustomFields: dict[str, Any] | None = None

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        if value is None:
            return None
        match = _LANGUAGE.match(value)
        primary = match.group(1).lower() if match else ""
        known = (
            pycountry.languages.get(alpha_2=primary)
            if len(primary) == 2
            else pycountry.languages.get(alpha_3=primary)
        )
        if match is None or known is None:
            raise ValueError(f"{value!r} is not a language tag such as 'en' or 'en-US'")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not an IANA time zone") from exc
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        return None if value is None else check_currency(value)

    @field_validator("invoiceCustomFields")
    @classmethod
    def _invoice_custom_fields(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        # Forwarded as the Stripe customer's invoice custom fields, within Stripe's limits.
        if value is None:
            return None
        if len(value) > limits.INVOICE_CUSTOM_FIELDS:
            raise ValueError(f"at most {limits.INVOICE_CUSTOM_FIELDS} invoice custom fields")
        for name, field_value in value.items():
            text = str(field_value)
            if isinstance(field_value, dict | list) or field_value is None:
                raise ValueError(f"invoice custom field {name!r} must be a text or a number")
            if not 1 <= len(name) <= limits.INVOICE_CUSTOM_FIELD_NAME:
                raise ValueError(
                    f"invoice custom field names are 1-{limits.INVOICE_CUSTOM_FIELD_NAME} "
                    "characters"
                )
            if not 1 <= len(text) <= limits.INVOICE_CUSTOM_FIELD_VALUE:
                raise ValueError(
                    f"invoice custom field {name!r}: values are 1-"
                    f"{limits.INVOICE_CUSTOM_FIELD_VALUE} characters"
                )
        return value

    @field_validator("metadata")
    @classmethod
    def _metadata(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        # Forwarded as the Stripe customer's metadata, so held to Stripe's limits.
        problem = None if value is None else limits.metadata_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value


class CustomerFields(_Strict):
    """Fields of a customer that provision and update may set.

    A field left out is left unchanged; a field sent as null is cleared
    (``model_fields_set`` tells the two apart).
    """

    customerId: str
    name: str | None = Field(default=None, max_length=255)
    email: EmailStr | None = None
    crmId: str | None = Field(default=None, max_length=255)
    billingId: str | None = Field(default=None, max_length=255)
    couponRefId: str | None = Field(default=None, max_length=255)
    additionalMetaData: dict[str, Any] | None = None
    excludeFromExperiment: bool | None = None
    billingInformation: BillingInformation | None = None

    @field_validator("customerId")
    @classmethod
    def _customer_id(cls, value: str) -> str:
        return check_customer_id(value)
