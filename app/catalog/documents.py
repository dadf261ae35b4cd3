"""Reading a catalog document and reporting its problems the way people read a file.

YAML is read as people expect rather than as YAML 1.1 strictly says: ``NO`` stays the
country code of Norway instead of becoming ``false``, ``19.99`` becomes an exact
``Decimal`` instead of a float, and a key written twice in one mapping is an error
instead of silently keeping the last value. JSON floats are read as ``Decimal`` too.

Problems are ``(location, message)`` pairs. The location is the path pydantic reports
(``("plans", 2, "prices", 0, "amount")``), shown as ``plans[2].prices[0].amount``;
the message is a short phrase (``must be >= 0``) rather than pydantic's sentence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from pydantic_core import ErrorDetails

Location = tuple[str | int, ...]
Problem = tuple[Location, str]

_BOOL_TAG = "tag:yaml.org,2002:bool"
_FLOAT_TAG = "tag:yaml.org,2002:float"


class DocumentError(Exception):
    """The text is not YAML or JSON; ``message`` names the file, line and column."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _CatalogLoader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        "while reading a mapping",
                        node.start_mark,
                        f"found duplicate key {key_node.value!r}",
                        key_node.start_mark,
                    )
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    try:
        return Decimal(text.replace("_", ""))
    except InvalidOperation:
        # .inf, .nan and base-60 numbers: let YAML decide, pydantic then refuses them.
        return loader.construct_yaml_float(node)  # type: ignore[arg-type]


# Only true/false are booleans; yes/no/on/off stay strings.
_CatalogLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_CatalogLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_CatalogLoader.add_constructor(_FLOAT_TAG, _construct_decimal)


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DocumentError(f"found duplicate key {key!r}")
        result[key] = value
    return result


def read_document(text: str, filename: str) -> object:
    """The data in ``text``: YAML for ``.yaml``/``.yml``, JSON for ``.json``."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix in ("yaml", "yml"):
        try:
            return yaml.load(text, Loader=_CatalogLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark else filename
            raise DocumentError(f"{where}: invalid YAML: {exc.problem or exc.context}") from None
        except yaml.YAMLError as exc:
            raise DocumentError(f"{filename}: invalid YAML: {exc}") from None
    if suffix == "json":
        try:
            return json.loads(text, parse_float=Decimal, object_pairs_hook=_json_object)
        except json.JSONDecodeError as exc:
            where = f"{filename}:{exc.lineno}:{exc.colno}"
            raise DocumentError(f"{where}: invalid JSON: {exc.msg}") from None
        except DocumentError as exc:
            raise DocumentError(f"{filename}: invalid JSON: {exc.message}") from None
    raise DocumentError(f"{filename}: unsupported file type; use .yaml, .yml or .json")


def format_location(location: Location) -> str:
    """``("plans", 2, "prices", 0)`` as ``plans[2].prices[0]``."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(root)"


def _choices(expected: str) -> str:
    return ", ".join(re.findall(r"'([^']*)'", expected)) or expected


def message_for(error: ErrorDetails) -> str:
    """pydantic's error as a short phrase that reads well after a path."""
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    match kind:
        case "missing":
            return "is required"
        case "extra_forbidden":
            return "unknown field"
        case "enum" | "literal_error":
            return f"must be one of {_choices(str(ctx.get('expected', '')))}"
        case "greater_than_equal":
            return f"must be >= {ctx['ge']}"
        case "greater_than":
            return f"must be > {ctx['gt']}"
        case "less_than_equal":
            return f"must be <= {ctx['le']}"
        case "less_than":
            return f"must be < {ctx['lt']}"
        case "decimal_parsing" | "decimal_type" | "float_parsing" | "float_type":
            return "must be a number"
        case "finite_number":
            return "must be a finite number"
        case "decimal_max_places":
            return f"must have at most {ctx['decimal_places']} decimals"
        case "int_parsing" | "int_type" | "int_from_float":
            return "must be a whole number"
        case "bool_type" | "bool_parsing":
            return "must be true or false"
        case "string_type":
            return "must be a string"
        case "string_too_short":
            return "must not be empty"
        case "string_too_long":
            return f"must be at most {ctx['max_length']} characters"
        case "list_type":
            return "must be a list"
        case "dict_type" | "model_type" | "model_attributes_type":
            return "must be a mapping"
        case "timezone_aware":
            return "must include a time zone, e.g. 2026-12-31T23:59:59Z"
        case "datetime_type" | "datetime_parsing" | "datetime_from_date_parsing":
            return "must be a date and time, e.g. 2026-12-31T23:59:59Z"
    message = error["msg"]
    return message[:1].lower() + message[1:]


def _position(location: Location, data: object) -> tuple[int, ...]:
    """Where ``location`` sits in the document, for sorting problems in file order.

    A missing key sorts after the keys its mapping does have.
    """
    position: list[int] = []
    node = data
    for part in location:
        if isinstance(node, dict):
            keys = list(node)
            position.append(keys.index(part) if part in node else len(keys))
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            position.append(part)
            node = node[part]
        else:
            break
    return tuple(position)


def in_file_order(problems: Sequence[Problem], data: object) -> list[str]:
    """The problems as ``path: message`` lines, in the order they appear in the file."""
    ordered = sorted(problems, key=lambda problem: _position(problem[0], data))
    return [f"{format_location(location)}: {message}" for location, message in ordered]
