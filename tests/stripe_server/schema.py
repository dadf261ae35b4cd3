"""Request parameters checked against the stripe package's typed params, at every depth.

The SDK's `stripe.params.*Params` TypedDicts are generated from Stripe's OpenAPI
description, so their keys are exactly the hashes the API accepts, nested ones
included: `items[0][bogus]` is refused with `parameter_unknown` and a missing
`recurring[interval]` with `parameter_missing`, each naming the full bracketed path as
Stripe does. The same walk applies the limits Stripe enforces on every request
whatever the endpoint: metadata (50 keys, keys up to 40 characters, values up to 500;
https://docs.stripe.com/api/metadata), string lengths (the OpenAPI description gives
most strings `maxLength: 5000`, a few less), and list lengths documented on the params.
"""

from __future__ import annotations

import sys
import types
import typing
from functools import cache
from typing import Any, NotRequired, Required, Union

import stripe.params as sp
from typing_extensions import is_typeddict

from .errors import missing_param, parameter_error, unknown_param

# Keys of the SDK's RequestOptions, which its params TypedDicts inherit but which never
# travel as request parameters.
Namespace = dict[str, Any]

REQUEST_OPTIONS = frozenset(
    {
        "api_key",
        "content_type",
        "headers",
        "idempotency_key",
        "max_network_retries",
        "stripe_account",
        "stripe_context",
        "stripe_version",
    }
)

MAX_STRING = 5000
METADATA_KEYS = 50
METADATA_KEY_LENGTH = 40
METADATA_VALUE_LENGTH = 500

# Strings whose `maxLength` in Stripe's OpenAPI description is below the usual 5000.
_MAX_LENGTHS: dict[tuple[Any, str], int] = {
    (sp.CustomerCreateParams, "phone"): 20,
    (sp.CustomerUpdateParams, "phone"): 20,
    (sp.CustomerCreateParams, "name"): 256,
    (sp.CustomerUpdateParams, "name"): 256,
    (sp.CustomerCreateParams, "email"): 512,
    (sp.CustomerUpdateParams, "email"): 512,
    (sp.checkout.SessionCreateParams, "client_reference_id"): 200,
    (sp.PromotionCodeCreateParams, "code"): 500,
}

# Lists whose documented size is bounded ("A list of up to 20 subscription items",
# "You may pass up to 20 items" in the params' own docstrings).
_MAX_ITEMS: dict[tuple[Any, str], int] = {
    (sp.SubscriptionCreateParams, "items"): 20,
    (sp.SubscriptionUpdateParams, "items"): 20,
    (sp.SubscriptionCreateParams, "add_invoice_items"): 20,
    (sp.SubscriptionUpdateParams, "add_invoice_items"): 20,
    (sp.InvoiceCreatePreviewParamsSubscriptionDetails, "items"): 20,
}


@cache
def _fields(typed: Any) -> dict[str, tuple[Any, bool, Namespace]]:
    """A TypedDict's parameters: name -> (type, required, namespace to resolve it in)."""
    fields: dict[str, tuple[Any, bool, Namespace]] = {}
    for cls in reversed(typed.__mro__):
        namespace = vars(sys.modules[cls.__module__])
        for name, annotation in vars(cls).get("__annotations__", {}).items():
            if name in REQUEST_OPTIONS:
                continue
            resolved = _resolve(annotation, namespace)
            required = name in typed.__required_keys__
            origin = typing.get_origin(resolved)
            if origin is NotRequired or origin is Required:
                required = origin is Required
                resolved = _resolve(typing.get_args(resolved)[0], namespace)
            fields[name] = (resolved, required, namespace)
    return fields


def _resolve(annotation: Any, namespace: Namespace) -> Any:
    if isinstance(annotation, str):
        return _resolve(eval(annotation, namespace), namespace)
    if isinstance(annotation, typing.ForwardRef):
        return _resolve(eval(annotation.__forward_arg__, namespace), namespace)
    return annotation


def _members(kind: Any, namespace: Namespace) -> list[Any]:
    """The alternatives of a union (`"Literal['']|List[...]"`), or the type alone."""
    kind = _resolve(kind, namespace)
    origin = typing.get_origin(kind)
    if origin is Union or origin is types.UnionType:
        return [m for arg in typing.get_args(kind) for m in _members(arg, namespace)]
    return [kind]


def _container(members: list[Any], origin: Any) -> Any | None:
    for member in members:
        if typing.get_origin(member) is origin:
            return member
    return None


def check(typed: Any, params: dict[str, Any]) -> None:
    """Raise Stripe's error for the first parameter `typed` does not accept."""
    _check_hash(typed, params, "")


def _path(prefix: str, name: str) -> str:
    return f"{prefix}[{name}]" if prefix else name


def _check_hash(typed: Any, value: dict[str, Any], prefix: str) -> None:
    fields = _fields(typed)
    for name in value:
        if name not in fields:
            raise unknown_param(_path(prefix, str(name)))
    for name, (_, required, _namespace) in fields.items():
        if required and value.get(name) in (None, ""):
            raise missing_param(_path(prefix, name))
    for name, item in value.items():
        path = _path(prefix, str(name))
        kind, _, namespace = fields[name]
        limit = _MAX_LENGTHS.get((typed, name), MAX_STRING)
        members = _members(kind, namespace)
        _check_value(members, namespace, item, path, limit, _MAX_ITEMS.get((typed, name)), name)


def _check_value(
    members: list[Any],
    namespace: Namespace,
    value: Any,
    path: str,
    limit: int,
    max_items: int | None,
    name: str,
) -> None:
    if value is None or value == "":
        return
    if isinstance(value, dict):
        hashes = [m for m in members if is_typeddict(m)]
        if hashes:
            _check_union(hashes, value, path)
        elif _container(members, dict) is not None:
            _check_free_hash(value, path, metadata=name == "metadata")
        elif _container(members, list) is not None:
            raise parameter_error(
                f"Invalid array: {path} must be an array", param=path, code="parameter_invalid"
            )
        else:
            raise parameter_error(
                f"Invalid {_scalar_name(members)}: {path} must not be a hash",
                param=path,
                code="parameter_invalid",
            )
        return
    if isinstance(value, list):
        listed = _container(members, list)
        if listed is None:
            raise parameter_error(
                f"Invalid {_scalar_name(members)}: {path} must not be an array",
                param=path,
                code="parameter_invalid",
            )
        if max_items is not None and len(value) > max_items:
            raise parameter_error(
                f"Invalid array: {path} must have at most {max_items} elements, "
                f"but {len(value)} were given.",
                param=path,
                code="parameter_invalid",
            )
        element = _members(typing.get_args(listed)[0], namespace)
        for index, item in enumerate(value):
            where = f"{path}[{index}]"
            _check_value(element, namespace, item, where, MAX_STRING, None, name)
        return
    if not any(_is_scalar(member) for member in members):
        if _container(members, list) is not None:
            raise parameter_error(
                f"Invalid array: {path} must be an array", param=path, code="parameter_invalid"
            )
        raise parameter_error(
            f"Invalid object: {path} must be a hash", param=path, code="parameter_invalid"
        )
    if isinstance(value, str):
        check_length(value, path, limit)


def _is_scalar(member: Any) -> bool:
    return not is_typeddict(member) and typing.get_origin(member) not in (list, dict)


def _scalar_name(members: list[Any]) -> str:
    if int in members:
        return "integer"
    if bool in members:
        return "boolean"
    return "string"


def _check_union(hashes: list[Any], value: dict[str, Any], path: str) -> None:
    """A hash may match any of the union's TypedDicts; report the first one's error."""
    first: Exception | None = None
    for typed in hashes:
        try:
            _check_hash(typed, value, path)
        except Exception as error:  # noqa: BLE001
            first = first or error
        else:
            return
    assert first is not None
    raise first


def _check_free_hash(value: dict[str, Any], path: str, *, metadata: bool) -> None:
    if not metadata:
        for key, item in value.items():
            if isinstance(item, str):
                check_length(item, f"{path}[{key}]", MAX_STRING)
        return
    if len(value) > METADATA_KEYS:
        raise parameter_error(
            f"Invalid metadata: metadata can have up to {METADATA_KEYS} keys, "
            f"but you passed in {len(value)} keys.",
            param=path,
            code="parameter_invalid",
        )
    for key, item in value.items():
        # Stripe's wording: https://github.com/stripe/stripe-php/issues/246
        if len(str(key)) > METADATA_KEY_LENGTH:
            raise parameter_error(
                f"Invalid key: {key} must be a string under {METADATA_KEY_LENGTH} characters",
                param=path,
                code="parameter_invalid",
            )
        if isinstance(item, dict | list):
            raise parameter_error(
                f"Invalid value for {key}: metadata values must be strings",
                param=f"{path}[{key}]",
                code="parameter_invalid",
            )
        if item is not None and len(str(item)) > METADATA_VALUE_LENGTH:
            raise parameter_error(
                f"Invalid val: {_excerpt(str(item))} must be a string under "
                f"{METADATA_VALUE_LENGTH} characters",
                param=path,
                code="parameter_invalid",
            )


def check_length(value: str, path: str, limit: int) -> None:
    if len(value) > limit:
        # Stripe's wording, e.g. "Invalid string: +1 555-555...5678456789; must be at
        # most 20 characters" for a customer's phone.
        raise parameter_error(
            f"Invalid string: {_excerpt(value)}; must be at most {limit} characters",
            param=path,
            code="parameter_invalid_string",
        )


def _excerpt(value: str) -> str:
    return value if len(value) <= 20 else f"{value[:10]}...{value[-10:]}"
