"""Give every GraphQL error an ``extensions.code``; never leak an unexpected exception.

- ``AppError`` raised by a service: its code, message and details.
- A document past a limit (tokens, depth, aliases, mutation fields, nesting the
  parser cannot follow): ``QUERY_TOO_COMPLEX``.
- Syntax errors: ``GRAPHQL_PARSE_FAILED``; variables of the wrong type or shape:
  ``BAD_USER_INPUT``; other document errors (unknown field, ...):
  ``GRAPHQL_VALIDATION_FAILED``.
- Anything else is a bug: logged with its traceback, shown as ``INTERNAL_SERVER_ERROR``.

This runs where the HTTP view turns a result into a response, the one place that every
error passes, parse errors included.
"""

from __future__ import annotations

import structlog
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.types import ExecutionResult

from app.errors import AppError, QueryTooComplex

log = structlog.get_logger(__name__)


def _document_error_code(error: GraphQLError) -> str:
    message = error.message
    if message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if message.startswith("Variable ") or "got invalid value" in message:
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"


def _replace(error: GraphQLError, message: str, extensions: dict[str, object]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


def _too_complex(error: GraphQLError) -> QueryTooComplex | None:
    """A document the parser or the interpreter could not follow (app.graphql.limits)."""
    if isinstance(error.original_error, RecursionError):
        return QueryTooComplex("the query nests too deep or holds too many fields to run")
    if isinstance(error, GraphQLSyntaxError) and "Parsing aborted" in error.message:
        return QueryTooComplex(error.message.removeprefix("Syntax Error: "))
    return None


def with_code(error: GraphQLError) -> GraphQLError:
    original = _too_complex(error) or error.original_error
    if isinstance(original, AppError):
        return _replace(error, original.message, original.extensions())
    if original is None or isinstance(original, GraphQLError):
        extensions = dict(error.extensions or {})
        extensions.setdefault("code", _document_error_code(error))
        return _replace(error, error.message, extensions)
    log.error(
        "graphql.unexpected_error",
        path=error.path,
        exc_info=(type(original), original, original.__traceback__),
    )
    return _replace(error, "internal error; it has been logged", {"code": "INTERNAL_SERVER_ERROR"})


def with_codes(result: ExecutionResult) -> ExecutionResult:
    if result.errors:
        result.errors = [with_code(error) for error in result.errors]
    return result
