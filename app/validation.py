"""Turn pydantic validation errors into the service's errors, one path per problem."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ValidationError

from app.errors import TaxIdInvalid, ValidationFailed

M = TypeVar("M", bound=BaseModel)

# Every id a client sends (customerId, planId, refId, idempotencyKey, ...) is at most
# this long: the columns that hold ids are, and a longer one cannot name anything.
MAX_ID_LENGTH = 255


def text_problem(value: str) -> str | None:
    """Why no database would store ``value`` as text, or None.

    PostgreSQL refuses NUL in text, and an unpaired surrogate (valid JSON as
    ``"\\ud800"``) cannot be encoded at all.
    """
    if "\x00" in value:
        return "must not contain NUL (\\u0000) characters"
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:
            return "must be valid Unicode text (it holds an unpaired surrogate)"
    return None


# Dates a client sends lie within these years: earlier or later is a mistake, and
# billing periods computed from them would leave the calendar.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def check_moment(value: datetime | None) -> datetime | None:
    """A time with its offset, as UTC, between 2000 and 2100."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("must be an ISO 8601 time with a time zone, e.g. 2024-01-31T10:00:00Z")
    value = as_utc(value)
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"must lie between {EARLIEST.year} and {LATEST.year}")
    return value


def check_id(value: str) -> str:
    """The one rule every id meets: 1-255 characters of storable text."""
    if not value:
        raise ValueError("must not be empty")
    if len(value) > MAX_ID_LENGTH:
        raise ValueError(f"must be at most {MAX_ID_LENGTH} characters")
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "unknown field",
    "string_type": "must be a string",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "decimal_type": "must be a number",
    "decimal_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "dict_type": "must be an object",
    "list_type": "must be a list",
    "string_too_short": "must not be empty",
}


# Pydantic error types (raised as ``PydanticCustomError``) that have a code of their own;
# any other problem is ``BAD_USER_INPUT``.
_SPECIFIC: dict[str, type[ValidationFailed]] = {TaxIdInvalid.error_type: TaxIdInvalid}


def error_path(loc: tuple[int | str, ...], root: str = "") -> str:
    path = root
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def describe(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind == "greater_than_equal":
        return f"must be >= {ctx['ge']}"
    if kind == "greater_than":
        return f"must be > {ctx['gt']}"
    if kind == "less_than_equal":
        return f"must be <= {ctx['le']}"
    if kind == "less_than":
        return f"must be < {ctx['lt']}"
    if kind == "string_too_long":
        return f"must be at most {ctx['max_length']} characters"
    if kind in ("enum", "literal_error"):
        return f"must be one of {ctx.get('expected', '').replace(chr(39), '')}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    message = str(error["msg"])
    return message[0].lower() + message[1:] if message else kind


def problems(exc: ValidationError, root: str = "") -> list[tuple[str, str]]:
    return [(error_path(tuple(e["loc"]), root), describe(e)) for e in exc.errors()]


def as_utc(value: datetime) -> datetime:
    """An instant a client sent, as UTC.

    Every input time is normalized here, where it enters, so that billing periods,
    anchors, month-end clamping and comparisons see one time zone: ``-05:00`` and the
    same instant written in UTC give the same first period.
    """
    if value.tzinfo is None:
        raise ValueError("must have a time zone (Z or an offset such as +02:00)")
    try:
        return value.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 moved out of range by its offset
        raise ValueError("is out of range") from None


# An ISO 8601 time with an offset, held as UTC.
UTCDatetime = Annotated[AwareDatetime, AfterValidator(as_utc)]


def validate(
    model: type[M], data: Any, *, root: str = "input", context: dict[str, Any] | None = None
) -> M:
    """``model.model_validate(data)``, or ``ValidationFailed`` naming every bad field."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        found = problems(exc, root)
        first_path, first_message = found[0]
        listed = [f"{path}: {message}" for path, message in found]
        error = _SPECIFIC.get(exc.errors()[0]["type"], ValidationFailed)
        raise error(
            f"{first_path}: {first_message}"
            + (f" (and {len(found) - 1} more problem(s))" if len(found) > 1 else ""),
            field=first_path,
            problems=listed,
        ) from None
