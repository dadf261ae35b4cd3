"""Known documents answered without the GraphQL machinery.

Backends repeat a few documents on their hot paths: the entitlement check, a customer or
subscription read, an estimate. Around the answer itself, Strawberry's view and
extensions and graphql-core's execution cost as much as the answer or several times it.
So a document that once ran without an error, and whose shape is plain, is kept as a
plan:

- one operation, no directives, no fragment on another type than its own; a mutation
  only when each of its fields only reads (the estimates), or when its one field is a
  planned write (provisionCustomer);
- every root field has an ``Answer``: from the caches (the entitlement check), by the
  read its resolver makes, in a read-only unit of work of its own, or by the write its
  resolver makes, in a unit of work that writes;
- every field below is an attribute read (no resolver, no arguments) of a scalar, an
  enum, an object type of such fields, or a list of these.

A request for it is bounded (``InputBounds``), its variables and arguments coerced by
graphql-core and converted as Strawberry gives them to the resolver, the root fields
answered one after another and the response written from the plan. Whatever a plan
does not cover (nothing cached, an unknown key, a variable graphql-core refuses, a null
where the schema forbids one, anything raised) takes the full path, which also gives
the error: the answer is the same whichever path made it. Resolver middleware is not
run here; the schema has none.

Reads and writes are answered inside units of work that the planned requests arriving
together share (``app.graphql.shared_units``), a write in its own savepoint. A write's
response is written before the commit, so whatever sends it to the full path (a null
where the schema forbids one, an error of the service) rolls it back first, and the
full path makes it once, afresh. A commit that fails is retried by the full path as
the unit of work retries a transient conflict, so a write is planned only where making
it twice leaves what making it once does (provisionCustomer creates the customer or
updates it to the same fields).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import partial
from math import isfinite
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Undefined,
    get_nullable_type,
    parse,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from sqlmodel import Session
from strawberry import Schema
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField

from app.graphql.encoding import encode
from app.graphql.execution import DEFINITION_BACKREF, attribute_reader
from app.graphql.input_limits import InputBounds
from app.graphql.shared_units import shared_units
from app.models import Environment

# The field-name paths a root field's selection holds below it, through fragments:
# ("customer", "promotionalEntitlements") when a subscription's customer's promotions
# are asked for (a read skips what is not asked).
Paths = frozenset[tuple[str, ...]]


@dataclass(frozen=True)
class Answer:
    """How a root field is answered on a plan: from the caches (``cached``: the object
    its resolver would give, or None for the full path), or by ``read``, the read its
    resolver makes, in a read-only unit of work of its own in the thread pool. Both are
    given the arguments as the resolver is (Strawberry's conversion, by Python name),
    and may not change them."""

    cached: Callable[[Environment, dict[str, Any]], object | None] | None = None
    read: Callable[[Session, Environment, dict[str, Any], Paths], object] | None = None
    # A mutation's field that only reads (an estimate); its read stores nothing.
    mutation: bool = False
    # A mutation's write (so a mutation's field), made as its resolver makes it; None
    # when this request must take the full path (before it has written anything). It is
    # given the arguments as graphql-core coerced them (by GraphQL name: what ``as_dict``
    # makes of Strawberry's input objects), not converted to Strawberry's types first.
    write: Callable[[Session, Environment, dict[str, Any], Paths], object | None] | None = None


_NUL = b"\\u0000"
_MAX_PLANS = 512
# Prepared requests kept, and the largest body kept (a check's is a few hundred bytes).
_MAX_PREPARED = 4096
_MAX_PREPARED_BODY = 4096
# The largest body a plan answers: larger ones go to the full path unread.
_MAX_PLANNED_BODY = 16_384


class _FullPath(Exception):
    """The plan cannot give this answer: the full path must."""


@dataclass(frozen=True)
class _Typename:
    key: str
    name: str


@dataclass(frozen=True)
class _Leaf:
    key: str
    name: str
    attribute: str
    read: Callable[[Any, str], Any]
    serialize: Callable[[Any], Any]
    non_null: bool
    # For a list of leaves: whether the list holds no nulls; None for a single leaf.
    items_non_null: bool | None


@dataclass(frozen=True)
class _Object:
    key: str
    name: str
    attribute: str
    read: Callable[[Any, str], Any]
    non_null: bool
    fields: tuple[_Selected, ...]
    # For a list of objects: whether the list holds no nulls; None for a single object.
    items_non_null: bool | None = None


_Selected = _Typename | _Leaf | _Object


@dataclass(frozen=True)
class _Root:
    key: str
    field: GraphQLField
    node: FieldNode
    answer: Answer
    fields: tuple[_Selected, ...]
    paths: Paths


@dataclass(frozen=True)
class Plan:
    document: DocumentNode
    operation: OperationDefinitionNode
    roots: tuple[_Root | _Typename, ...]


def _coerced(leaf: GraphQLLeafType, value: Any) -> Any:
    coerced = leaf.coerce_output_value(value)
    if coerced is Undefined or coerced is None:
        raise _FullPath
    return coerced


def _serializer(leaf: GraphQLLeafType) -> Callable[[Any], Any]:
    """``leaf``'s output coercion, a value already of the type's own Python type (or a
    member of its enum) answered without graphql-core's checks, with the same result."""
    own: dict[GraphQLLeafType, type] = {GraphQLString: str, GraphQLID: str, GraphQLBoolean: bool}
    kind = own.get(leaf)
    if kind is not None:
        return lambda value: value if type(value) is kind else _coerced(leaf, value)
    if leaf is GraphQLFloat:
        return lambda value: (
            value if type(value) is float and isfinite(value) else _coerced(leaf, value)
        )
    members = getattr(leaf, "wrapped_cls", None)
    if (
        isinstance(leaf, GraphQLEnumType)
        and isinstance(members, type)
        and issubclass(members, Enum)
    ):
        names = {member: _coerced(leaf, member) for member in members}
        return lambda value: names[value] if type(value) is members else _coerced(leaf, value)
    return partial(_coerced, leaf)


def _one(selected: _Leaf | _Object, value: Any) -> Any:
    if isinstance(selected, _Object):
        return _render(selected.fields, value)
    return selected.serialize(value)


def _render(fields: Sequence[_Selected], source: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for selected in fields:
        if isinstance(selected, _Typename):
            out[selected.key] = selected.name
            continue
        value = selected.read(source, selected.attribute)
        if value is None:
            if selected.non_null:
                raise _FullPath
            out[selected.key] = None
        elif isinstance(value, Exception):
            raise _FullPath
        elif selected.items_non_null is None:
            out[selected.key] = _one(selected, value)
        else:
            if not isinstance(value, list | tuple):
                raise _FullPath
            if selected.items_non_null and any(item is None for item in value):
                raise _FullPath
            out[selected.key] = [None if item is None else _one(selected, item) for item in value]
    return out


def _paths(fields: tuple[_Selected, ...], above: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()
    for selected in fields:
        if isinstance(selected, _Typename):
            continue
        path = (*above, selected.name)
        found.add(path)
        if isinstance(selected, _Object):
            found |= _paths(selected.fields, path)
    return found


def _collect(
    selection_set: SelectionSetNode,
    type_name: str,
    fragments: Mapping[str, FragmentDefinitionNode],
    into: dict[str, list[FieldNode]],
) -> bool:
    """The fields of ``selection_set`` by response key, in order; False if a fragment
    names another type (its fields would depend on the runtime type)."""
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            key = selection.alias.value if selection.alias else selection.name.value
            into.setdefault(key, []).append(selection)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            if condition is not None and condition.name.value != type_name:
                return False
            if not _collect(selection.selection_set, type_name, fragments, into):
                return False
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is None or fragment.type_condition.name.value != type_name:
                return False
            if not _collect(fragment.selection_set, type_name, fragments, into):
                return False
    return True


def _selected(
    key: str,
    field: GraphQLField,
    nodes: list[FieldNode],
    fragments: Mapping[str, FragmentDefinitionNode],
) -> _Selected | None:
    read = attribute_reader(field)
    if read is None:
        return None
    name = nodes[0].name.value
    non_null = isinstance(field.type, GraphQLNonNull)
    inner = get_nullable_type(field.type)
    items_non_null: bool | None = None
    if isinstance(inner, GraphQLList):
        item = inner.of_type
        items_non_null = isinstance(item, GraphQLNonNull)
        inner = item.of_type if items_non_null else item
        if isinstance(inner, GraphQLList):
            return None
    if isinstance(inner, GraphQLScalarType | GraphQLEnumType):
        return _Leaf(key, name, read[1], read[0], _serializer(inner), non_null, items_non_null)
    if isinstance(inner, GraphQLObjectType):
        fields = _fields(inner, nodes, fragments)
        if fields is None:
            return None
        return _Object(key, name, read[1], read[0], non_null, fields, items_non_null)
    return None


def _fields(
    object_type: GraphQLObjectType,
    nodes: list[FieldNode],
    fragments: Mapping[str, FragmentDefinitionNode],
) -> tuple[_Selected, ...] | None:
    if object_type.is_type_of is not None:
        return None
    collected: dict[str, list[FieldNode]] = {}
    for node in nodes:
        if node.selection_set is None:
            return None
        if not _collect(node.selection_set, object_type.name, fragments, collected):
            return None
    planned: list[_Selected] = []
    for key, field_nodes in collected.items():
        name = field_nodes[0].name.value
        if name == "__typename":
            planned.append(_Typename(key, object_type.name))
            continue
        field = object_type.fields.get(name)
        selected = _selected(key, field, field_nodes, fragments) if field else None
        if selected is None:
            return None
        planned.append(selected)
    return tuple(planned)


def compile_plan(
    schema: GraphQLSchema, document: DocumentNode, answers: Mapping[str, Answer]
) -> Plan | None:
    """The plan of a valid ``document``, or None when it takes the full path. A mutation
    has one only when each of its fields reads and stores nothing (an estimate)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1:
        return None
    operation = operations[0]
    mutation = operation.operation == OperationType.MUTATION
    root_type = schema.mutation_type if mutation else schema.query_type
    if root_type is None or operation.operation == OperationType.SUBSCRIPTION:
        return None
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    collected: dict[str, list[FieldNode]] = {}
    if not _collect(operation.selection_set, root_type.name, fragments, collected):
        return None
    roots: list[_Root | _Typename] = []
    for key, nodes in collected.items():
        name = nodes[0].name.value
        if name == "__typename":
            roots.append(_Typename(key, root_type.name))
            continue
        answer = answers.get(name)
        field = root_type.fields.get(name)
        if answer is None or field is None:
            return None
        if (answer.mutation or answer.write is not None) != mutation:
            return None
        if answer.write is not None and len(collected) != 1:
            return None  # a write is planned alone
        definition = field.extensions.get(DEFINITION_BACKREF)
        if not isinstance(definition, StrawberryField) or definition.extensions:
            return None
        if definition.permission_classes:
            return None
        inner = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
        if not isinstance(inner, GraphQLObjectType):
            return None
        fields = _fields(inner, nodes, fragments)
        if fields is None:
            return None
        roots.append(_Root(key, field, nodes[0], answer, fields, frozenset(_paths(fields))))
    if not any(isinstance(root, _Root) for root in roots):
        return None  # nothing cached to answer: the full path is as quick
    return Plan(document, operation, tuple(roots))


async def _shared(
    root: _Root,
    environment: Environment,
    arguments: dict[str, Any],
    make: Callable[[Session, Environment, dict[str, Any], Paths], object | None],
    *,
    write: bool,
) -> dict[str, Any]:
    """A read's or a write's answer, written inside its unit of work (shared with those
    arriving together, ``app.graphql.shared_units``): a write whose answer cannot be
    written stores nothing."""

    def work(session: Session, env: Environment) -> dict[str, Any]:
        value = make(session, env, arguments, root.paths)
        if value is None:
            raise _FullPath
        return _render(root.fields, value)

    rendered: dict[str, Any] | None = await shared_units(write=write).run(environment, work)
    if rendered is None:
        raise _FullPath
    return rendered


# A root field of a prepared request: planned with its coerced arguments, or a __typename.
_Prepared = tuple[tuple[_Root | _Typename, dict[str, Any]], ...]


class Plans:
    """The plans of the documents seen to run without an error, by their text, and the
    requests prepared for them (bounded, variables coerced), by their body."""

    def __init__(self, schema: Schema, answers: Mapping[str, Answer], bounds: InputBounds) -> None:
        self.strawberry = schema
        self.schema = schema._schema
        self.answers = answers
        self.bounds = bounds
        self._plans: dict[str, Plan | None] = {}
        # The same body always prepares the same way: a client repeating a check (the
        # usual case) skips reading, bounding and coercing it. Answers are given these
        # arguments, and must not change them.
        self._prepared: dict[bytes, _Prepared] = {}

    def learn(self, query: str) -> None:
        """Keep ``query``'s plan (None if it has none): call it only after the document
        ran without an error, so that it is known valid."""
        if query in self._plans or not self.answers:
            return
        # A directive may depend on a variable: such documents take the full path. An
        # "@" inside a string only makes this refuse a document it could have planned.
        plan = None if "@" in query else compile_plan(self.schema, parse(query), self.answers)
        if len(self._plans) >= _MAX_PLANS:
            del self._plans[next(iter(self._plans))]
        self._plans[query] = plan

    async def answer(self, body: bytes, environment: Environment) -> bytes | None:
        """The response body for ``body`` (a JSON POST of ``environment``'s), or None
        when the full path must answer."""
        if len(body) > _MAX_PLANNED_BODY:
            return None  # not read twice: a large body (events, imports) has no plan
        prepared = self._prepared.get(body)
        if prepared is None:
            prepared = self._prepare(body)
            if prepared is None:
                return None
            if len(body) <= _MAX_PREPARED_BODY:
                if len(self._prepared) >= _MAX_PREPARED:
                    del self._prepared[next(iter(self._prepared))]
                self._prepared[body] = prepared
        data: dict[str, Any] = {}
        try:
            for root, arguments in prepared:
                if isinstance(root, _Typename):
                    data[root.key] = root.name
                    continue
                if root.answer.write is not None:
                    data[root.key] = await _shared(
                        root, environment, arguments, root.answer.write, write=True
                    )
                    continue
                if root.answer.read is not None:
                    data[root.key] = await _shared(
                        root, environment, arguments, root.answer.read, write=False
                    )
                    continue
                assert root.answer.cached is not None
                value = root.answer.cached(environment, arguments)
                if value is None:
                    return None
                data[root.key] = _render(root.fields, value)
        except Exception:  # noqa: BLE001 - the full path meets it again and reports it
            return None
        return encode({"data": data})

    def _arguments(self, root: _Root, coerced: VariableValues) -> dict[str, Any]:
        """The root field's arguments as its resolver gets them (a write: as coerced)."""
        given = get_argument_values(root.field, root.node, coerced)
        if root.answer.write is not None:
            return given
        definition = root.field.extensions[DEFINITION_BACKREF]
        return convert_arguments(
            given,
            definition.arguments,
            scalar_registry=self.strawberry.schema_converter.scalar_registry,
            config=self.strawberry.config,
        )

    def _prepare(self, body: bytes) -> _Prepared | None:
        if not self._plans or _NUL in body:
            return None
        try:
            request = json.loads(body)
        except (ValueError, RecursionError):
            return None
        if type(request) is not dict:
            return None
        query = request.get("query")
        if type(query) is not str:
            return None
        plan = self._plans.get(query)
        if plan is None:
            return None
        variables = request.get("variables")
        variables = {} if variables is None else variables
        name = request.get("operationName")
        given_name = plan.operation.name.value if plan.operation.name else None
        if (
            type(variables) is not dict
            or request.get("extensions")
            or name not in (None, given_name)
        ):
            return None
        if self.bounds.first_problem(self.schema, plan.document, name, variables, query):
            return None
        coerced = get_variable_values(
            self.schema, plan.operation.variable_definitions or (), variables
        )
        if isinstance(coerced, list):
            return None
        try:
            return tuple(
                (root, {})
                if isinstance(root, _Typename)
                else (root, self._arguments(root, coerced))
                for root in plan.roots
            )
        except Exception:  # noqa: BLE001 - the full path meets it again and reports it
            return None
