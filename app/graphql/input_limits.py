"""Bounds on every argument of a GraphQL request, checked before any resolver runs.

The checks follow the schema, not each resolver: every list, string, id, date and JSON
value a client can send is bounded here, so an input added later is bounded too. Each
value is checked as sent (a variable's JSON or a literal in the document) before
graphql-core coerces it, and a list's length is checked before its items, so a request
of 100,000 ``billableFeatures`` is refused after reading one number. The first problem
is answered as ``BAD_USER_INPUT`` naming the field (``input.billableFeatures``); the
domains' own rules (a customer id's characters, metadata keys) still apply after.

What counts as an id is read from the field's name: ``id``, ``...Id``, ``...Ids`` and
``idempotencyKey`` are ids, held to ``app.validation.check_id``. Dates are left to the
domains, which read them (each refuses one outside 2000-2100).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    ExecutionResult,
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    StringValueNode,
    TypeInfo,
    TypeInfoVisitor,
    ValueNode,
    VariableNode,
    Visitor,
    VisitorAction,
    value_from_ast_untyped,
    visit,
)
from strawberry.extensions import SchemaExtension

from app.config import Settings
from app.customers.schemas import MAX_METADATA_DEPTH
from app.entitlements.errors import TooManyItems
from app.entitlements.events import MAX_EVENTS
from app.entitlements.service import MAX_BULK_REPORTS
from app.errors import ValidationFailed
from app.imports.schemas import MAX_ROWS_PER_CALL
from app.subscriptions.schemas import MAX_ENTITLEMENT_VALUES
from app.validation import check_id, text_problem

# Lists whose bound is the domain's own, with the domain's error, by field name (or by
# "InputType.field" where one name has two bounds).
_LISTS: dict[str, tuple[int, type[ValidationFailed]]] = {
    "ImportUsageBulkInput.usages": (MAX_ROWS_PER_CALL, ValidationFailed),
    "customers": (MAX_ROWS_PER_CALL, ValidationFailed),
    "subscriptions": (MAX_ROWS_PER_CALL, ValidationFailed),
    "usages": (MAX_BULK_REPORTS, TooManyItems),
    "usageEvents": (MAX_EVENTS, TooManyItems),
    "subscriptionEntitlements": (MAX_ENTITLEMENT_VALUES, ValidationFailed),
}
# Input objects nest at most this deep (a coupon filter's and/or, for one).
MAX_INPUT_DEPTH = 10
# A JSON value (metadata, dimensions) holds at most this many keys and items in all.
MAX_JSON_ENTRIES = 1000
NAME_LENGTH = 255
EMAIL_LENGTH = 254
_NAMES = frozenset({"name", "customerName", "eventName"})


def _is_id(name: str) -> bool:
    return name == "id" or name.endswith(("Id", "Ids")) or name == "idempotencyKey"


class _Refused(Exception):
    def __init__(self, error: ValidationFailed) -> None:
        self.error = error


def _refuse(path: str, problem: str, kind: type[ValidationFailed] = ValidationFailed) -> None:
    raise _Refused(kind(f"{path}: {problem}", field=path))


@dataclass(frozen=True)
class _Site:
    """One argument of the document: where it is, its type, and its value node."""

    path: str
    type: GraphQLInputType
    value: ValueNode


class _Sites(Visitor):
    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self.type_info = type_info
        self.found: list[_Site] = []

    def enter_argument(self, node: ArgumentNode, *_: Any) -> VisitorAction:
        definition = self.type_info.get_argument()
        if definition is not None:
            self.found.append(_Site(node.name.value, definition.type, node.value))
        return self.SKIP


def _sites(schema: GraphQLSchema, document: DocumentNode) -> list[_Site]:
    type_info = TypeInfo(schema)
    sites = _Sites(type_info)
    visit(document, TypeInfoVisitor(type_info, sites))
    return sites.found


class _SiteCache:
    """A document's arguments, by its text: finding them walks the whole document (more
    than the entitlement check costs), checking them walks only the arguments."""

    def __init__(self, schema: GraphQLSchema, size: int = 512) -> None:
        self.schema = schema
        self.size = size
        self.known: dict[str, list[_Site]] = {}

    def sites(self, document: DocumentNode, query: str | None) -> list[_Site]:
        if query is None:
            return _sites(self.schema, document)
        found = self.known.get(query)
        if found is None:
            if len(self.known) >= self.size:
                self.known.clear()
            found = self.known[query] = _sites(self.schema, document)
        return found


class _Checker:
    def __init__(
        self, settings: Settings, variables: Mapping[str, Any], defaults: Mapping[str, ValueNode]
    ) -> None:
        self.max_list = settings.max_list_items
        self.max_string = settings.max_string_length
        self.variables = variables
        self.defaults = defaults

    def literal(
        self,
        node: ValueNode,
        kind: GraphQLInputType,
        path: str,
        depth: int,
        field: str | None = None,
    ) -> None:
        if isinstance(node, VariableNode):
            name = node.name.value
            if name in self.variables:
                self.value(self.variables[name], kind, path, depth, field)
            elif name in self.defaults:
                self.literal(self.defaults[name], kind, path, depth, field)
            return
        if isinstance(node, NullValueNode):
            return
        if isinstance(kind, GraphQLNonNull):
            self.literal(node, kind.of_type, path, depth, field)
        elif isinstance(kind, GraphQLList):
            items = node.values if isinstance(node, ListValueNode) else (node,)
            self.length(len(items), path, field)
            for index, item in enumerate(items):
                self.literal(item, kind.of_type, f"{path}[{index}]", depth)
        elif isinstance(kind, GraphQLInputObjectType):
            if not isinstance(node, ObjectValueNode):
                return
            self.nesting(path, depth)
            for entry in node.fields:
                name = entry.name.value
                definition = kind.fields.get(name)
                if definition is not None:
                    self.literal(entry.value, definition.type, f"{path}.{name}", depth + 1, name)
        elif isinstance(kind, GraphQLScalarType) and kind.name == "JSON":
            self.json(value_from_ast_untyped(node, dict(self.variables)), path)
        elif isinstance(node, StringValueNode):
            self.string(node.value, path)

    def value(
        self,
        value: Any,
        kind: GraphQLInputType,
        path: str,
        depth: int,
        field: str | None = None,
    ) -> None:
        if value is None:
            return
        if isinstance(kind, GraphQLNonNull):
            self.value(value, kind.of_type, path, depth, field)
        elif isinstance(kind, GraphQLList):
            items = value if isinstance(value, list) else [value]
            self.length(len(items), path, field)
            for index, item in enumerate(items):
                self.value(item, kind.of_type, f"{path}[{index}]", depth)
        elif isinstance(kind, GraphQLInputObjectType):
            if not isinstance(value, dict):
                return
            self.nesting(path, depth)
            for name, item in value.items():
                definition = kind.fields.get(name)
                if definition is not None:
                    where = f"{kind.name}.{name}" if f"{kind.name}.{name}" in _LISTS else name
                    self.value(item, definition.type, f"{path}.{name}", depth + 1, where)
        elif isinstance(kind, GraphQLScalarType) and kind.name == "JSON":
            self.json(value, path)
        elif isinstance(value, str) and not isinstance(kind, GraphQLEnumType):
            self.string(value, path)

    def length(self, count: int, path: str, field: str | None) -> None:
        limit, kind = _LISTS.get(field or "", (self.max_list, ValidationFailed))
        if count > limit:
            _refuse(path, f"at most {limit} items are allowed, got {count}", kind)

    def nesting(self, path: str, depth: int) -> None:
        if depth > MAX_INPUT_DEPTH:
            _refuse(path, f"nests deeper than {MAX_INPUT_DEPTH} levels")

    def string(self, value: str, path: str) -> None:
        name = path.rsplit(".", 1)[-1].split("[", 1)[0]
        if _is_id(name):
            try:
                check_id(value)
            except ValueError as exc:
                _refuse(path, str(exc))
            return
        limit = (
            EMAIL_LENGTH if name == "email" else NAME_LENGTH if name in _NAMES else self.max_string
        )
        if len(value) > limit:
            _refuse(path, f"must be at most {limit} characters")
        problem = text_problem(value)
        if problem is not None:
            _refuse(path, problem)

    def json(self, value: Any, path: str) -> None:
        """Depth, size and text of a JSON value, walked without recursion."""
        entries = 0
        stack: list[tuple[Any, int]] = [(value, 0)]
        while stack:
            item, depth = stack.pop()
            if isinstance(item, dict | list):
                if depth >= MAX_METADATA_DEPTH:
                    _refuse(path, f"nests deeper than {MAX_METADATA_DEPTH} levels")
                entries += len(item)
                if entries > MAX_JSON_ENTRIES:
                    _refuse(path, f"holds more than {MAX_JSON_ENTRIES} keys and items")
                if isinstance(item, dict):
                    for key in item:
                        self.json_text(key, path)
                    stack.extend((child, depth + 1) for child in item.values())
                else:
                    stack.extend((child, depth + 1) for child in item)
            elif isinstance(item, str):
                self.json_text(item, path)
            elif isinstance(item, float) and not math.isfinite(item):
                _refuse(path, "numbers must be finite")

    def json_text(self, value: str, path: str) -> None:
        if len(value) > self.max_string:
            _refuse(path, f"holds text longer than {self.max_string} characters")
        problem = text_problem(value)
        if problem is not None:
            _refuse(path, problem)


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name is not None and o.name.value == name), None)


def _defaults(operation: OperationDefinitionNode | None) -> dict[str, ValueNode]:
    if operation is None:
        return {}
    return {
        d.variable.name.value: d.default_value
        for d in operation.variable_definitions or ()
        if d.default_value is not None
    }


class InputBounds:
    """The bounds of one schema's arguments, with the arguments of the documents seen."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.cache: _SiteCache | None = None

    def first_problem(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation_name: str | None,
        variables: Mapping[str, Any],
        query: str | None = None,
    ) -> ValidationFailed | None:
        """The first bound ``document``'s arguments break; ``query`` is its text, if known."""
        if self.cache is None:
            self.cache = _SiteCache(schema)
        defaults = _defaults(_operation(document, operation_name))
        checker = _Checker(self.settings, variables, defaults)
        try:
            for site in self.cache.sites(document, query):
                checker.literal(site.value, site.type, site.path, 0)
        except _Refused as refused:
            return refused.error
        return None


class InputLimits(SchemaExtension):
    """Refuses a request whose arguments break a bound, before it executes."""

    def __init__(self, bounds: InputBounds) -> None:
        self.bounds = bounds

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None:
            problem = self.bounds.first_problem(
                context.schema._schema,
                document,
                context.operation_name,
                context.variables or {},
                context.query,
            )
            if problem is not None:
                context.result = _refusal(problem)
        yield


def _refusal(problem: ValidationFailed) -> ExecutionResult:
    return ExecutionResult(
        data=None, errors=[GraphQLError(problem.message, original_error=problem)]
    )
