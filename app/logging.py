"""structlog set-up: JSON off a terminal, request/message ids from contextvars, and a
redaction processor in front of every sink.

Redaction works on key names (anything that names a secret, a contact detail or billing
information is masked whole) and on values (e-mail addresses, phone numbers and API
keys inside free text), so a careless ``log.info(..., input=payload)`` leaks nothing.

An exception is logged as its class (``error_class``, and ``sqlstate`` for a database
error) and its traceback's frames, without its message: messages carry what the code
was given (a database error's parameters and the row it conflicted with, a value that
failed to parse), which no pattern can be trusted to find. The ids that say what failed
are the log call's own fields.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import Mapping, MutableMapping
from types import TracebackType
from typing import Any

import structlog

MASK = "[REDACTED]"

_SECRET_KEYS = {
    "apikey",
    "api_key",
    "xapikey",
    "x_api_key",
    "authorization",
    "password",
    "secret",
    "secret_key",
    "token",
    "stripe_api_key",
    "client_secret",
    "payment_secret",
    "paymentsecret",
    "webhook_secret",
}
_PII_KEYS = {
    "email",
    "phone",
    "phonenumber",
    "phone_number",
    "address",
    "billingaddress",
    "billing_address",
    "shippingaddress",
    "shipping_address",
    "addressline1",
    "addressline2",
    "address_line1",
    "address_line2",
    "postalcode",
    "postal_code",
    "taxids",
    "tax_ids",
    "paymentmethodid",
    "payment_method_id",
}
_WHOLE_SUBTREE_KEYS = {"billinginformation", "billing_information", "billinginfo", "billing_info"}
# Any key containing one of these (``tax_id_type``, ``taxId``, ``billing_phone``) names
# a contact detail or billing information, whatever else it says.
_PII_PARTS = ("taxid", "phone", "email")

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_API_KEY = re.compile(r"\b(?:bsk|sk|rk|pk|whsec)_[A-Za-z0-9_-]{8,}")
# Digits with spaces, dashes or parentheses between them; dots are left out so that
# addresses such as 127.0.0.1 and version numbers are not taken for phone numbers.
# A date or a timestamp (2026-01-31, 2026-01-31 20:00:00-05:00) has the same characters,
# so it is matched first, as a whole, and kept.
_PHONE = re.compile(
    r"(?P<moment>(?<!\d)\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?!\d))"
    r"|(?<![\w.(])\+?\(?\d[\d\s()-]{7,}\d(?![\w.])"
)


def _mask_phone(match: re.Match[str]) -> str:
    return match.group("moment") or MASK


def _normalise(key: str) -> str:
    return key.lower().replace("-", "_")


def _redact_text(value: str) -> str:
    value = _API_KEY.sub(MASK, value)
    value = _EMAIL.sub(MASK, value)
    return _PHONE.sub(_mask_phone, value)


def redact(value: Any, key: str | None = None) -> Any:
    if key is not None:
        normal = _normalise(key)
        compact = normal.replace("_", "")
        if normal in _WHOLE_SUBTREE_KEYS or compact in _WHOLE_SUBTREE_KEYS:
            return MASK
        if normal in _SECRET_KEYS or compact in _SECRET_KEYS:
            return MASK
        pii = compact in _PII_KEYS or any(part in compact for part in _PII_PARTS)
        if (normal in _PII_KEYS or pii) and value is not None:
            return MASK
    if isinstance(value, str):
        return _redact_text(value)
    if isinstance(value, Mapping):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [redact(v) for v in value]
    return value


_STRUCTURAL = {"event", "level", "timestamp", "logger", "request_id", "message_id"}


def redaction_processor(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if key in _STRUCTURAL:
            continue
        event_dict[key] = redact(event_dict[key], key)
    if isinstance(event_dict.get("event"), str):
        event_dict["event"] = _redact_text(event_dict["event"])
    return event_dict


def _class_name(kind: type[BaseException]) -> str:
    module = kind.__module__
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def _frames(error: BaseException, seen: set[int]) -> list[str]:
    """The traceback of ``error`` and of the exceptions it came from, without messages."""
    seen.add(id(error))
    lines: list[str] = []
    cause, context = error.__cause__, error.__context__
    if cause is not None and id(cause) not in seen:
        lines += _frames(cause, seen)
        lines.append("\nThe above exception was the direct cause of the following exception:\n\n")
    elif context is not None and not error.__suppress_context__ and id(context) not in seen:
        lines += _frames(context, seen)
        lines.append("\nDuring handling of the above exception, another exception occurred:\n\n")
    lines.append("Traceback (most recent call last):\n")
    lines += traceback.format_tb(error.__traceback__)
    lines.append(f"{_class_name(type(error))} (message not logged)\n")
    return lines


ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def _exc_info(value: Any) -> ExcInfo | None:
    if isinstance(value, BaseException):
        return (type(value), value, value.__traceback__)
    if isinstance(value, tuple) and len(value) == 3 and isinstance(value[1], BaseException):
        return (type(value[1]), value[1], value[2])
    if value is True:
        current = sys.exc_info()
        return None if current[1] is None else (type(current[1]), current[1], current[2])
    return None


def exception_processor(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """In place of ``format_exc_info``: the exception's class and frames, not its message."""
    found = _exc_info(event_dict.pop("exc_info", None))
    if found is None:
        return event_dict
    error = found[1]
    event_dict["error_class"] = _class_name(type(error))
    sqlstate = getattr(getattr(error, "orig", None), "sqlstate", None)
    if isinstance(sqlstate, str):
        event_dict["sqlstate"] = sqlstate
    event_dict["exception"] = "".join(_frames(error, set()))
    return event_dict


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(level: str = "INFO", fmt: str = "auto") -> None:
    as_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    renderer: Any = (
        structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer()
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        exception_processor,
        redaction_processor,
    ]
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level)),
        # Resolve sys.stderr at each write, so a replaced stream (a test's capture, a
        # daemon's redirect) is honoured.
        logger_factory=lambda *_: structlog.PrintLogger(sys.stderr),
        cache_logger_on_first_use=False,
    )
    # Libraries that use the standard library (uvicorn, dramatiq, alembic) go through
    # the same redaction and rendering.
    handler = _StderrHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    # The Stripe SDK logs every request at INFO; billing-sync logs what it did instead.
    logging.getLogger("stripe").setLevel(max(logging.WARNING, logging.getLevelName(level)))
