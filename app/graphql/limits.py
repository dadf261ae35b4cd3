"""Limits on the shape of a GraphQL document, checked before anything runs.

Depth, aliases and tokens are Strawberry's own limiters; their errors carry no code, so
each rule runs against a collector and what it reports is re-raised as
``QUERY_TOO_COMPLEX``. A mutation's root fields each run in a transaction of their own,
so their number is bounded separately: hundreds of aliased ``provisionCustomer`` fields
in one request would otherwise all run, one after another. The token limit stops the
parser itself; ``app.graphql.errors`` gives its error (and the parser's failure on a
document nested too deep to read) the same code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, SchemaExtension
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule

from app.config import Settings
from app.errors import QueryTooComplex


def _too_complex(message: str, error: GraphQLError | None = None) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes if error is not None else None,
        original_error=QueryTooComplex(message),
    )


class _Collector:
    """What a limiter rule reads of a validation context, keeping what it reports."""

    def __init__(self, document: DocumentNode) -> None:
        self.document = document
        self.errors: list[GraphQLError] = []

    def report_error(self, error: GraphQLError) -> None:
        self.errors.append(error)


def _coded(rule: type[ValidationRule]) -> type[ValidationRule]:
    """``rule`` (which does its work when made) with each error it finds coded."""

    class Coded(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            collector = _Collector(context.document)
            try:
                rule(cast("ValidationContext", collector))
            except KeyError:
                # A spread of an unknown fragment: graphql-core's own rule reports it.
                return
            for error in collector.errors[:1]:
                context.report_error(_too_complex(error.message, error))

    return Coded


def _root_fields(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    seen: frozenset[str] = frozenset(),
) -> int:
    count = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            count += 1
        elif isinstance(selection, InlineFragmentNode):
            count += _root_fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:
                count += _root_fields(fragment.selection_set, fragments, seen | {name})
    return count


def _mutation_fields_rule(limit: int) -> type[ValidationRule]:
    class MutationFields(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            definitions = context.document.definitions
            fragments = {
                d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)
            }
            for definition in definitions:
                if (
                    isinstance(definition, OperationDefinitionNode)
                    and definition.operation == OperationType.MUTATION
                ):
                    count = _root_fields(definition.selection_set, fragments)
                    if count > limit:
                        context.report_error(
                            _too_complex(
                                f"a request runs at most {limit} mutation fields; "
                                f"this one has {count}"
                            )
                        )
                        return

    return MutationFields


def document_limits(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Extension factories: an instance per request (an extension holds its request)."""
    rules: list[type[ASTValidationRule]] = [
        _coded(depth_rule(settings.graphql_max_depth, None)),
        _coded(aliases_rule(settings.graphql_max_aliases)),
        _mutation_fields_rule(settings.graphql_max_mutation_fields),
    ]
    return [
        lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        lambda: AddValidationRules(rules),
    ]
