"""Decoding of Stripe's form encoding and typed access to request parameters.

The SDK sends `a[b][c]=v` for nested hashes and `items[0][price]=x` (or `expand[]=x`)
for lists; an empty value means "unset" wherever Stripe accepts `""`. Parameter values
stay strings after decoding, because that is all the wire carries; the accessors below
coerce them where a handler needs a number or a boolean (test controls send JSON, so
the accessors accept native values too).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from .errors import missing_param, parameter_error

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
# Hashes whose keys are chosen by the caller: never turned into lists even when the
# keys happen to be digits.
_FREE_FORM_HASHES = frozenset({"metadata"})

Params = dict[str, Any]


def decode(body: str) -> Params:
    root: Params = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        match = _KEY.match(key)
        parts = [match.group(1), *_SEGMENT.findall(match.group(2))] if match else [key]
        node = root
        for part in parts[:-1]:
            name = part or str(len(node))
            child = node.get(name)
            if not isinstance(child, dict):
                child = node[name] = {}
            node = child
        node[parts[-1] or str(len(node))] = value
    result = _listify(root, None)
    assert isinstance(result, dict)
    return result


def _listify(node: Any, key: str | None) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {name: _listify(value, name) for name, value in node.items()}
    if converted and key not in _FREE_FORM_HASHES and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


def required(params: Params, name: str) -> Any:
    value = params.get(name)
    if value is None or value == "":
        raise missing_param(name)
    return value


def opt_str(params: Params, name: str) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise parameter_error(
            f"Invalid string: {value!r}", param=name, code="parameter_invalid_string"
        )
    return value


def to_int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise parameter_error(
            f"Invalid integer: {value}", param=name, code="parameter_invalid_integer"
        )
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        raise parameter_error(
            f"Invalid integer: {value}", param=name, code="parameter_invalid_integer"
        ) from None


def opt_int(params: Params, name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    return to_int(value, name)


def opt_bool(params: Params, name: str) -> bool | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise parameter_error(f"Invalid boolean: {value}", param=name, code="parameter_invalid")


def opt_dict(params: Params, name: str) -> Params | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, dict):
        raise parameter_error(
            f"Invalid object: {name} must be a hash", param=name, code="parameter_invalid"
        )
    return value


def opt_list(params: Params, name: str) -> list[Any] | None:
    """A list parameter; `""` means an explicit empty list (Stripe's way to clear one)."""
    value = params.get(name)
    if value is None:
        return None
    if value == "":
        return []
    if isinstance(value, dict):
        # A hash with non-numeric keys where a list was expected.
        raise parameter_error(
            f"Invalid array: {name} must be an array", param=name, code="parameter_invalid"
        )
    if not isinstance(value, list):
        return [value]
    return value


def one_of(params: Params, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = opt_str(params, name)
    if value is None:
        return default
    if value not in allowed:
        raise parameter_error(
            f"Invalid {name}: must be one of {', '.join(allowed)}",
            param=name,
            code="parameter_invalid_string",
        )
    return value


def merged_metadata(current: dict[str, str], update: Any) -> dict[str, str]:
    """Stripe's metadata update: `""` clears all keys, an empty value removes one key."""
    if update is None:
        return dict(current)
    if update == "":
        return {}
    if not isinstance(update, dict):
        raise parameter_error("Invalid hash", param="metadata", code="parameter_invalid")
    merged = dict(current)
    for key, value in update.items():
        if value in ("", None):
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    return merged
