"""List pagination, `created` range filters and the search query language subset.

Lists come newest first with `limit` (default 10, at most 100), `starting_after` and
`ending_before` cursors, as the SDK's auto-pagination expects. Search understands
clauses `field:'value'`, `metadata['key']:'value'`, `field~'part'` and numeric
comparisons, joined by AND or OR (not both), optionally negated with `-`.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import invalid_request
from .forms import Params, opt_int, opt_str, to_int
from .state import Obj


def page(objects: list[Obj], params: Params, url: str) -> Obj:
    newest_first = list(reversed(objects))
    limit = opt_int(params, "limit") or 10
    if not 1 <= limit <= 100:
        raise invalid_request(
            "This value must be greater than or equal to 1 and less than or equal to 100.",
            param="limit",
        )
    after = opt_str(params, "starting_after")
    before = opt_str(params, "ending_before")
    ids = [obj["id"] for obj in newest_first]
    if after is not None:
        start = ids.index(after) + 1 if after in ids else len(ids)
        chunk = newest_first[start : start + limit]
        more = start + limit < len(ids)
    elif before is not None:
        end = ids.index(before) if before in ids else 0
        chunk = newest_first[max(0, end - limit) : end]
        more = end - limit > 0
    else:
        chunk = newest_first[:limit]
        more = limit < len(ids)
    return {"object": "list", "data": chunk, "has_more": more, "url": url}


def created_filter(objects: list[Obj], params: Params, field: str = "created") -> list[Obj]:
    bounds = params.get(field)
    if bounds is None or bounds == "":
        return objects
    if not isinstance(bounds, dict):
        exact = to_int(bounds, field)
        return [obj for obj in objects if obj.get(field) == exact]
    checks = {
        "gt": lambda v, b: v > b,
        "gte": lambda v, b: v >= b,
        "lt": lambda v, b: v < b,
        "lte": lambda v, b: v <= b,
    }
    result = objects
    for op, raw in bounds.items():
        if op not in checks:
            raise invalid_request(f"Invalid {field}[{op}]", param=f"{field}[{op}]")
        bound = to_int(raw, f"{field}[{op}]")
        result = [
            obj for obj in result if obj.get(field) is not None and checks[op](obj[field], bound)
        ]
    return result


_CLAUSE = re.compile(
    r"""^(?P<neg>-)?(?P<field>metadata\[(?P<q>['"])(?P<key>[^'"]+)(?P=q)\]|[a-z_.]+)\s*"""
    r"""(?P<op>:|~|>=|<=|>|<)\s*(?P<value>'[^']*'|"[^"]*"|[^\s]+)$"""
)


def search(objects: list[Obj], params: Params, url: str) -> Obj:
    query = str(params.get("query", ""))
    any_of = re.search(r"\sOR\s", query) is not None
    clauses = [c.strip() for c in re.split(r"\s+(?:OR|AND)\s+", query) if c.strip()]
    if not clauses:
        raise invalid_request("Missing required param: query.", param="query")
    matchers = [_clause(c) for c in clauses]
    if any_of:
        found = [o for o in objects if any(m(o) for m in matchers)]
    else:
        found = [o for o in objects if all(m(o) for m in matchers)]
    limit = opt_int(params, "limit") or 10
    data = list(reversed(found))[:limit]
    return {
        "object": "search_result",
        "data": data,
        "has_more": len(found) > limit,
        "next_page": None,
        "url": url,
    }


def _clause(text: str) -> Any:
    match = _CLAUSE.match(text)
    if not match:
        raise invalid_request(f"Invalid search query: {text}", param="query")
    raw = match.group("value")
    value = raw[1:-1] if raw[:1] in "'\"" else raw
    key, field, op = match.group("key"), match.group("field"), match.group("op")
    negate = bool(match.group("neg"))

    def lookup(obj: Obj) -> Any:
        if key is not None:
            return (obj.get("metadata") or {}).get(key)
        current: Any = obj
        for part in field.split("."):
            current = current.get(part) if isinstance(current, dict) else None
        return current

    def test(obj: Obj) -> bool:
        actual = lookup(obj)
        if op == ":":
            ok = (actual is None) if value == "null" else str(actual).lower() == value.lower()
            if isinstance(actual, bool):
                ok = str(actual).lower() == value.lower()
        elif op == "~":
            ok = actual is not None and value.lower() in str(actual).lower()
        else:
            try:
                number, bound = float(actual), float(value)
            except (TypeError, ValueError):
                return False
            ok = {">": number > bound, "<": number < bound, ">=": number >= bound}.get(
                op, number <= bound
            )
        return ok != negate

    return test
