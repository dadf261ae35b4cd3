"""What Stripe refuses, stated once so that the API can refuse it first.

Billing information, checkout options and subscription items reach Stripe in jobs, after
the API has told the client it succeeded; a value Stripe refuses there is a failed sync
the client never hears about. So each input that is forwarded is held, when it arrives,
to the limit Stripe applies (its OpenAPI description's ``maxLength``, the documented
list sizes, https://docs.stripe.com/api/metadata). Nothing here imports ``stripe``: the
domains' schemas use these rules without depending on the gateway.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

# Most strings; a few parameters take less.
MAX_STRING: Final = 5000
CUSTOMER_NAME: Final = 256
CUSTOMER_EMAIL: Final = 512
CUSTOMER_PHONE: Final = 20
# invoice_settings.custom_fields: at most 4, names up to 40 characters, values up to 140.
INVOICE_CUSTOM_FIELDS: Final = 4
INVOICE_CUSTOM_FIELD_NAME: Final = 40
INVOICE_CUSTOM_FIELD_VALUE: Final = 140
CHECKOUT_CLIENT_REFERENCE_ID: Final = 200
# "A list of up to 20 subscription items"; checkout sessions take as many line items.
SUBSCRIPTION_ITEMS: Final = 20
METADATA_KEYS: Final = 50
METADATA_KEY_LENGTH: Final = 40
METADATA_VALUE_LENGTH: Final = 500
# billing-sync tags each Stripe object with a few keys of its own (ids that find the
# object again), all under this prefix; clients may use the rest.
OWN_METADATA_PREFIX: Final = "billing_sync_"
OWN_METADATA_KEYS: Final = 5


def url_problem(value: str) -> str | None:
    """Why Stripe would refuse ``value`` as a redirect URL (``url_invalid``), or None."""
    try:
        parts = urlsplit(value)
        absolute = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        absolute = False
    if not absolute or any(c.isspace() for c in value):
        return "must be an absolute http:// or https:// URL"
    if len(value) > MAX_STRING:
        return f"must be at most {MAX_STRING} characters"
    return None


def metadata_problem(value: Mapping[str, Any]) -> str | None:
    """Why Stripe would refuse ``value``, sent from a client, as metadata, or None.

    The keys billing-sync adds are left room for and may not be overwritten. Values must
    be text, numbers or booleans (Stripe keeps strings); null removes a key.
    """
    room = METADATA_KEYS - OWN_METADATA_KEYS
    if len(value) > room:
        return f"has {len(value)} keys; at most {room} are allowed"
    for key, item in value.items():
        if not key or len(key) > METADATA_KEY_LENGTH:
            return f"key {key[:20]!r} must be 1-{METADATA_KEY_LENGTH} characters"
        if key.startswith(OWN_METADATA_PREFIX):
            return (
                f"key {key!r} is reserved: keys starting {OWN_METADATA_PREFIX} are billing-sync's"
            )
        if isinstance(item, dict | list):
            return f"value of {key!r} must be text, a number or a boolean"
        if item is not None and len(metadata_text(item)) > METADATA_VALUE_LENGTH:
            return f"value of {key!r} is longer than {METADATA_VALUE_LENGTH} characters"
    return None


def metadata_text(item: Any) -> str:
    """A metadata value as Stripe stores it (an empty string unsets the key)."""
    if item is None:
        return ""
    if isinstance(item, bool):
        return "true" if item else "false"
    return str(item)
