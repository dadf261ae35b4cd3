"""The short path for plain leaf fields answers exactly what graphql-core's path does."""

from __future__ import annotations

import asyncio
import enum
from typing import Any

import pytest
import strawberry
from graphql import parse, specified_rules
from strawberry.extensions import ParserCache
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from app.config import Settings
from app.graphql import documents, execution
from app.graphql.schema import build_schema, new_schema


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Item:
    name: str
    count: int | None
    ratio: float
    colour: Colour | None
    tags: list[str] | None
    missing: str  # non-null, but the object may hold None

    @strawberry.field
    def shouted(self) -> str:
        return self.name.upper()


@strawberry.type
class Query:
    @strawberry.field
    def item(self) -> Item:
        return Item(name="a", count=None, ratio=1.5, colour=Colour.BLUE, tags=["x"], missing="here")

    @strawberry.field
    def broken(self) -> Item | None:
        # ``missing`` is None: a non-null field without a value is an error on both paths.
        return Item(name="b", count=2, ratio=0.0, colour=None, tags=None, missing=None)  # type: ignore[arg-type]

    @strawberry.field
    def odd(self) -> Item:
        # A value the scalar cannot serialize: an error on both paths.
        return Item(name="c", count="x", ratio=0.0, colour=None, tags=None, missing="m")  # type: ignore[arg-type]


DOCUMENTS = [
    "{ item { name count ratio colour tags missing shouted __typename } }",
    "{ item { n: name n2: name ...F } } fragment F on Item { colour ratio }",
    "query($on: Boolean!) { item { name @include(if: $on) count @skip(if: $on) } }",
    "{ broken { name missing } }",
    "{ broken { name count } item { ratio } }",
    "{ odd { name count } }",
]


def _answer(schema: strawberry.Schema, document: str) -> dict[str, Any]:
    result = asyncio.run(schema.execute(document, variable_values={"on": True}))
    errors = [
        {"message": error.message, "path": error.path, "locations": error.locations}
        for error in result.errors or []
    ]
    return {"data": result.data, "errors": errors}


@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_short_path_answers_as_graphql_core_does(document: str) -> None:
    short = strawberry.Schema(query=Query, execution_context_class=execution.ExecutionContext)
    generic = strawberry.Schema(
        query=Query, execution_context_class=StrawberryGraphQLCoreExecutionContext
    )
    assert _answer(short, document) == _answer(generic, document)


def test_error_cases_really_are_errors() -> None:
    short = strawberry.Schema(query=Query, execution_context_class=execution.ExecutionContext)
    assert _answer(short, "{ broken { name missing } }")["errors"][0]["path"] == [
        "broken",
        "missing",
    ]
    assert _answer(short, "{ odd { count } }")["errors"][0]["path"] == ["odd", "count"]


def test_the_entitlement_check_takes_the_short_path_for_its_leaves() -> None:
    """The short path depends on how Strawberry builds basic fields: an upgrade that
    changes it must fail here rather than quietly slow every check down."""
    schema = build_schema()
    entitlement = schema._schema.type_map["Entitlement"]
    short = {
        name for name, field in entitlement.fields.items() if execution._plan_of(field) is not None
    }
    assert {"isGranted", "currentUsage", "usageLimit", "usagePeriodEnd", "resetPeriod"} <= short
    # An object, a list and a union take graphql-core's path.
    assert not {"feature", "enumValues", "resetPeriodConfiguration"} & short
    # A field with a resolver of its own is never read as an attribute.
    customer = schema._schema.type_map["Query"].fields["entitlement"]
    assert execution._plan_of(customer) is None


def test_a_document_is_validated_once_and_per_schema() -> None:
    calls: list[object] = []
    results = documents._Results(maxsize=2)
    original = documents.validate_document

    def counting(*args: Any) -> Any:
        calls.append(args[1])
        return original(*args)

    documents.validate_document = counting  # type: ignore[assignment]
    try:
        schema = build_schema()._schema
        other = new_schema()._schema
        document = parse("{ __typename }")
        invalid = parse("{ nope }")
        rules = tuple(specified_rules)
        for _ in range(3):
            assert results.validate(schema, document, rules) == []
        assert len(calls) == 1
        results.validate(other, document, rules)  # another schema: validated against it
        assert len(calls) == 2
        assert [e.message for e in results.validate(schema, invalid, rules)] == [
            "Cannot query field 'nope' on type 'Query'."
        ]
        # Bounded: the oldest entries go.
        results.validate(schema, parse("{ __typename }"), rules)
        assert len(results._entries) == 2
    finally:
        documents.validate_document = original  # type: ignore[assignment]


def test_the_schema_answers_an_invalid_document_with_its_errors_every_time() -> None:
    schema = strawberry.Schema(
        query=Query,
        extensions=[lambda: ParserCache(maxsize=8), lambda: documents.ValidationCache(maxsize=8)],
    )
    for _ in range(2):
        result = asyncio.run(schema.execute("{ item { nope } }"))
        assert result.errors and "nope" in result.errors[0].message


def test_a_schema_is_shared_by_settings_with_the_same_limits_and_keeps_its_own(
    settings: Settings,
) -> None:
    first = build_schema(settings)
    other = settings.model_copy(update={"stripe_api_base": "http://127.0.0.1:1"})
    assert build_schema(other) is first  # a setting the schema does not read
    tighter = settings.model_copy(update={"max_list_items": 2})
    assert build_schema(tighter) is not first
    # A change to the settings object after the build leaves the built schema's limits
    # alone (it is shared by every settings object with the limits it was built with).
    limit = settings.max_list_items
    settings.max_list_items = limit + 1
    assert build_schema(settings) is not first
    assert first.plans.bounds.settings.max_list_items == limit
