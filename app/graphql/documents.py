"""Validation results kept per parsed document.

Strawberry's ValidationCache keys its LRU cache by the document's syntax tree, and
graphql-core hashes and compares a tree node by node: on the entitlement check that
hashing cost more than the rest of execution's set-up. The parser cache already hands
back the same document object for the same query text, so the object itself is the
key here: found by identity, with the schema and the rules it was validated against.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

# id(document) -> (document, schema, rules, errors); the document is held so that its
# id cannot be reused by another while the entry lives.
_Entry = tuple[DocumentNode, GraphQLSchema, tuple[Any, ...], list[GraphQLError]]


class _Results:
    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def validate(
        self, schema: GraphQLSchema, document: DocumentNode, rules: tuple[Any, ...]
    ) -> list[GraphQLError]:
        entry = self._entries.get(id(document))
        if entry is not None and entry[0] is document and entry[1] is schema and entry[2] == rules:
            return entry[3]
        errors = validate_document(schema, document, rules)
        with self._lock:
            self._entries[id(document)] = (document, schema, rules, errors)
            self._entries.move_to_end(id(document))
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        return errors


_shared: dict[int, _Results] = {}


class ValidationCache(SchemaExtension):
    """Validate each parsed document once (pass it as a factory, after ParserCache)."""

    def __init__(self, maxsize: int = 512) -> None:
        super().__init__()
        self.results = _shared.setdefault(maxsize, _Results(maxsize))

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None
        context.pre_execution_errors = self.results.validate(
            context.schema._schema, context.graphql_document, tuple(context.validation_rules)
        )
        yield
