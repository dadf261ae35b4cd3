"""The ``coupons`` query: one environment's coupons, filtered, sorted and cursor-paged.

The catalog repository filters by status and refId equality, and sorts and pages in
SQL. Those equalities, when they sit at the top of the filter (so every match must
satisfy them), are pushed down to it. A filter that asks for more (``neq``, ``in``,
``and``, ``or``, ...) is then applied here to the coupons the repository returned,
which is cheap for a catalog-sized table, and the page is cut from the result.

A cursor is the opaque form of an offset into the sorted result, so it stays valid
for as long as the coupons before it do not change.
"""

from __future__ import annotations

import base64
import binascii
import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import strawberry
from sqlmodel import Session

from app.catalog import repository
from app.errors import ValidationFailed
from app.graphql.catalog import Coupon
from app.graphql.common import CouponStatus, CouponType, SortDirection
from app.graphql.context import Info, as_dict, run
from app.models import Coupon as CouponRow
from app.models import Environment

UNSET: Any = strawberry.UNSET
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100
_CURSOR_PREFIX = "coupon:"


@strawberry.input
class StringFieldComparison:
    eq: str | None = UNSET
    neq: str | None = UNSET
    in_: list[str] | None = strawberry.field(default=UNSET, name="in")
    not_in: list[str] | None = UNSET


@strawberry.input
class CouponStatusFilterComparison:
    eq: CouponStatus | None = UNSET
    neq: CouponStatus | None = UNSET
    in_: list[CouponStatus] | None = strawberry.field(default=UNSET, name="in")
    not_in: list[CouponStatus] | None = UNSET


@strawberry.input
class CouponTypeFilterComparison:
    eq: CouponType | None = UNSET
    neq: CouponType | None = UNSET
    in_: list[CouponType] | None = strawberry.field(default=UNSET, name="in")
    not_in: list[CouponType] | None = UNSET


@strawberry.input
class CouponFilter:
    and_: list[CouponFilter] | None = strawberry.field(default=UNSET, name="and")
    or_: list[CouponFilter] | None = strawberry.field(default=UNSET, name="or")
    ref_id: StringFieldComparison | None = UNSET
    name: StringFieldComparison | None = UNSET
    status: CouponStatusFilterComparison | None = UNSET
    type: CouponTypeFilterComparison | None = UNSET


@strawberry.enum
class CouponSortFields(enum.Enum):
    # Member names are the platform's (the field names themselves).
    id = "id"
    refId = "refId"
    name = "name"
    type = "type"
    status = "status"
    createdAt = "createdAt"
    updatedAt = "updatedAt"


@strawberry.input
class CouponSort:
    field: CouponSortFields
    direction: SortDirection = SortDirection.ASC


@strawberry.input
class CursorPaging:
    first: int | None = UNSET
    after: str | None = UNSET


@strawberry.type
class CouponEdge:
    node: Coupon
    cursor: str


@strawberry.type
class PageInfo:
    has_next_page: bool | None
    has_previous_page: bool | None
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class CouponConnection:
    edges: list[CouponEdge]
    page_info: PageInfo
    total_count: int


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{offset}".encode()).decode()


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    number = text.removeprefix(_CURSOR_PREFIX)
    # An offset must also fit the database's OFFSET (a signed 64-bit integer).
    valid = number.isascii() and number.isdigit() and len(number) <= 18
    if not text.startswith(_CURSOR_PREFIX) or not valid:
        raise ValidationFailed(
            "paging.after: not a cursor this query returned", field="paging.after"
        )
    return int(number)


@dataclass(frozen=True)
class _Page:
    start: int
    size: int


def _page(paging: CursorPaging | None) -> _Page:
    if paging is None:
        return _Page(start=0, size=DEFAULT_PAGE_SIZE)
    first = DEFAULT_PAGE_SIZE if paging.first in (None, UNSET) else paging.first
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise ValidationFailed(
            f"paging.first: must be between 1 and {MAX_PAGE_SIZE}", field="paging.first"
        )
    start = 0 if paging.after in (None, UNSET) else _decode_cursor(paging.after) + 1
    return _Page(start=start, size=first)


def _compare(comparison: dict[str, Any] | None) -> Callable[[str], bool]:
    """A test for one field's value from a ``*FieldComparison``; nulls ask for nothing."""
    given = {key: value for key, value in (comparison or {}).items() if value is not None}

    def test(value: str) -> bool:
        return (
            given.get("eq", value) == value
            and given.get("neq", object()) != value
            and value in given.get("in", [value])
            and value not in given.get("notIn", [])
        )

    return test


_FIELDS: dict[str, Callable[[CouponRow], str]] = {
    "refId": lambda row: row.ref_id,
    "name": lambda row: row.name,
    "status": lambda row: row.status,
    "type": lambda row: row.type,
}


def _matches(row: CouponRow, spec: dict[str, Any]) -> bool:
    for key, value in spec.items():
        if value is None:
            continue
        if key == "and" and not all(_matches(row, part) for part in value):
            return False
        if key == "or" and value and not any(_matches(row, part) for part in value):
            return False
        if key in _FIELDS and not _compare(value)(_FIELDS[key](row)):
            return False
    return True


@dataclass(frozen=True)
class _Pushdown:
    """The equalities the repository filters by, and whether they are the whole filter."""

    status: str | None
    ref_id: str | None
    whole: bool


def _pushed_down(spec: dict[str, Any]) -> _Pushdown:
    equal: dict[str, str | None] = {"status": None, "refId": None}
    whole = True
    for key, value in spec.items():
        given = (
            {k: v for k, v in value.items() if v is not None} if isinstance(value, dict) else value
        )
        if key in equal and isinstance(given, dict) and set(given) <= {"eq"}:
            equal[key] = given.get("eq")
        elif given:
            whole = False
    return _Pushdown(status=equal["status"], ref_id=equal["refId"], whole=whole)


def _connection(rows: list[CouponRow], start: int, total: int) -> CouponConnection:
    edges = [
        CouponEdge(node=Coupon.of(row), cursor=encode_cursor(start + index))
        for index, row in enumerate(rows)
    ]
    return CouponConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=start + len(rows) < total,
            has_previous_page=start > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )


def list_coupons(
    session: Session,
    environment: Environment,
    spec: dict[str, Any],
    order_by: list[repository.CouponSort],
    page: _Page,
) -> CouponConnection:
    pushed = _pushed_down(spec)

    def count() -> int:
        return repository.count_coupons(
            session, environment.id, status=pushed.status, ref_id=pushed.ref_id
        )

    def rows(limit: int, offset: int) -> list[CouponRow]:
        return repository.list_coupons(
            session,
            environment.id,
            status=pushed.status,
            ref_id=pushed.ref_id,
            order_by=order_by,
            limit=limit,
            offset=offset,
        )

    if pushed.whole:
        return _connection(rows(page.size, page.start), page.start, count())
    matching = [row for row in rows(count(), 0) if _matches(row, spec)]
    return _connection(matching[page.start : page.start + page.size], page.start, len(matching))


@strawberry.type
class CouponQueries:
    @strawberry.field
    async def coupons(
        self,
        info: Info,
        filter: CouponFilter | None = None,
        sorting: list[CouponSort] | None = None,
        paging: CursorPaging | None = None,
    ) -> CouponConnection:
        spec: dict[str, Any] = as_dict(filter) if filter is not None else {}
        order_by = [
            repository.CouponSort(field=sort.field.value, direction=sort.direction)
            for sort in sorting or []
        ] or [repository.CouponSort("createdAt")]

        def call(session: Session, environment: Environment) -> CouponConnection:
            return list_coupons(session, environment, spec, order_by, _page(paging))

        return await run(info, call)
