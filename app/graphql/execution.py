"""Execution with a short path for plain leaf fields.

Most fields of an answer are attributes read off a Python object and serialized as a
scalar or an enum (an entitlement's ``isGranted``, ``usageLimit``, ``usagePeriodEnd``
...). graphql-core builds a resolve-info object for each of them, calls Strawberry's
resolver and walks its generic completion; on the entitlement check that is most of the
time execution takes. For a field Strawberry marks as basic (no resolver, no arguments,
no extensions, no permissions) the answer is the same without any of it: read the
attribute through the field's own resolver, check for null, serialize. Every other
field takes graphql-core's path unchanged, and errors are reported exactly as it would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    is_leaf_type,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

DEFINITION_BACKREF = GraphQLCoreConverter.DEFINITION_BACKREF

# (return type, leaf type, non-null, the attribute's reader, the attribute's name)
_Plan = tuple[GraphQLOutputType, GraphQLLeafType, bool, Callable[[Any, str], Any], str] | None
# By id, with the field it was made for: an id reused by another field is no match.
_plans: dict[int, tuple[GraphQLField, _Plan]] = {}


def attribute_reader(field: GraphQLField) -> tuple[Callable[[Any, str], Any], str] | None:
    """How Strawberry reads a basic field (no resolver, arguments, extensions or
    permissions): its reader and the attribute's name; None for any other field."""
    definition = field.extensions.get(DEFINITION_BACKREF)
    # Strawberry's resolver of a basic field reads the attribute and ignores its info.
    basic = getattr(field.resolve, "__name__", "") == "_get_basic_result"
    if not basic or field.args or not isinstance(definition, StrawberryField):
        return None
    if not definition.is_basic_field:
        return None
    return definition.default_resolver, definition.python_name


def _plan_of(field: GraphQLField) -> _Plan:
    found = _plans.get(id(field))
    if found is not None and found[0] is field:
        return found[1]
    plan: _Plan = None
    read = attribute_reader(field)
    inner = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    if read is not None and is_leaf_type(inner):
        non_null = isinstance(field.type, GraphQLNonNull)
        plan = (field.type, inner, non_null, read[0], read[1])
    _plans[id(field)] = (field, plan)
    return plan


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any = None,
    ) -> Any:
        name = field_details_list[0].node.name.value
        field = self.schema.get_field(parent_type, name)
        # Resolver middleware (an extension with a ``resolve`` hook) sees every field.
        middleware = self.middleware_manager is not None and self.middleware_manager.middlewares
        plan = _plan_of(field) if field is not None and not middleware else None
        if plan is None:
            return super().execute_field(
                parent_type, source, field_details_list, path, position_context
            )
        return_type, leaf, non_null, reader, attribute = plan
        try:
            value = reader(source, attribute)
            if isinstance(value, Exception):
                raise value
            if value is None:
                if non_null:
                    raise TypeError(
                        f"Cannot return null for non-nullable field {parent_type.name}.{name}."
                    )
                return None
            return self.complete_leaf_value(leaf, value)
        except Exception as raw_error:  # noqa: BLE001 - reported as graphql-core reports it
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
