"""``billing-sync import``: the files sent to a running service over its API.

Every row of every file is checked here first (the same row models the service uses),
so a bad file is refused whole before anything is sent. The rows then go in calls of
``MAX_ROWS_PER_CALL`` to the import mutations, the service checks them against its
state, and the command follows each import's progress until the workers are done.
Customers are imported before subscriptions, and subscriptions before usage, because
each kind names rows of the one before.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from app.imports.schemas import (
    MAX_ROWS_PER_CALL,
    CustomerRow,
    ImportRow,
    RowProblem,
    SubscriptionRow,
    UsageRow,
    as_input,
    parse_rows,
    read_file,
)

POLL_SECONDS = 0.5
_KINDS: list[tuple[str, str, type[ImportRow], str, str]] = [
    ("customers", "customers", CustomerRow, "importCustomersBulk", "ImportCustomerBulkInput"),
    (
        "subscriptions",
        "subscriptions",
        SubscriptionRow,
        "importSubscriptionsBulk",
        "ImportSubscriptionsBulkInput",
    ),
    ("usage", "usages", UsageRow, "importUsageBulk", "ImportUsageBulkInput"),
]
_PROGRESS = """query($id: String!) { bulkImport(importId: $id) {
  status totalRows processedRows created updated unchanged skipped failed } }"""
_ROWS = """query($id: String!, $offset: Int!) { bulkImport(importId: $id) {
  rows(offset: $offset, limit: 5000) { index outcome reason } } }"""
OUTCOMES = ("created", "updated", "unchanged", "skipped", "failed")


class ImportRefused(Exception):
    """The files, or the service, refused the import; ``problems`` lists why."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


@dataclass
class KindResult:
    name: str
    rows: list[Any]
    import_ids: list[tuple[int, str]] = field(default_factory=list)  # (first index, id)
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    seconds: float = 0.0


class Api:
    def __init__(self, url: str, key: str, http: Any = None) -> None:
        self.key = key
        # ``http``: any client with httpx's ``post`` (the tests pass the app's own).
        self.client = http or httpx.Client(base_url=url.rstrip("/"), timeout=120.0)

    def call(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self.client.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"X-API-KEY": self.key},
            )
        except httpx.HTTPError as exc:
            raise ImportRefused(f"the service cannot be reached: {exc}") from None
        try:
            body: dict[str, Any] = response.json()
        except ValueError:
            raise ImportRefused(f"the service answered HTTP {response.status_code}") from None
        errors = body.get("errors")
        if errors:
            first = errors[0]
            extensions = first.get("extensions") or {}
            rows = extensions.get("rows") or []
            problems = [f"row {r['index']}: {r['field']}: {r['message']}" for r in rows]
            code = extensions.get("code", "ERROR")
            raise ImportRefused(f"[{code}] {first.get('message')}", problems)
        data: dict[str, Any] = body["data"]
        return data


def load(files: dict[str, Path | None], skip_invalid: bool) -> list[KindResult]:
    """Read and check every file; refuse them all if any row is bad (unless skipping)."""
    loaded: list[KindResult] = []
    problems: list[str] = []
    for name, key, row_type, _, _ in _KINDS:
        path = files.get(name)
        if path is None:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ImportRefused(f"{path}: cannot be read ({exc.strerror})") from None
        rows = [as_input(row) for row in read_file(text, key, str(path))]
        _, found = parse_rows(row_type, rows, f"{path.name}:{key}")
        problems.extend(_describe(found))
        loaded.append(KindResult(name, rows))
    if problems and not skip_invalid:
        raise ImportRefused(
            f"{len(problems)} problem(s) in the files; nothing was imported", problems
        )
    return loaded


def _describe(problems: list[RowProblem]) -> list[str]:
    return [f"row {p.index}: {p.field}: {p.message}" for p in problems]


def run(
    api: Api, kinds: list[KindResult], *, skip_invalid: bool, console: Console
) -> list[KindResult]:
    for kind in kinds:
        _, key, _, mutation, input_type = next(k for k in _KINDS if k[0] == kind.name)
        started = time.monotonic()
        document = f"mutation($input: {input_type}!) {{ {mutation}(input: $input) }}"
        for first in range(0, len(kind.rows), MAX_ROWS_PER_CALL):
            batch = kind.rows[first : first + MAX_ROWS_PER_CALL]
            variables: dict[str, Any] = {key: batch}
            if skip_invalid:
                variables["skipInvalid"] = True
            try:
                data = api.call(document, {"input": variables})
            except ImportRefused as exc:
                exc.problems = [_shift(p, first) for p in exc.problems]
                raise
            kind.import_ids.append((first, data[mutation]))
        _follow(api, kind, console)
        kind.seconds = time.monotonic() - started
    return kinds


def _shift(problem: str, first: int) -> str:
    """A problem of a call's row, numbered by the row's place in the file."""
    if not problem.startswith("row "):
        return problem
    number, rest = problem[4:].split(":", 1)
    return f"row {int(number) + first}:{rest}" if number.isdigit() else problem


def _follow(api: Api, kind: KindResult, console: Console) -> None:
    columns = (
        TextColumn(f"[bold]{kind.name}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>8.0f} rows/s"),
        TimeRemainingColumn(),
    )
    started = time.monotonic()
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(kind.name, total=len(kind.rows), rate=0.0)
        while True:
            summaries = [api.call(_PROGRESS, {"id": i})["bulkImport"] for _, i in kind.import_ids]
            processed = sum(s["processedRows"] for s in summaries)
            rate = processed / max(time.monotonic() - started, 1e-6)
            progress.update(task, completed=processed, rate=rate)
            if all(s["status"] == "COMPLETED" for s in summaries):
                for outcome in OUTCOMES:
                    kind.totals[outcome] = sum(s[outcome] for s in summaries)
                return
            time.sleep(POLL_SECONDS)


def summary(kinds: list[KindResult]) -> Table:
    table = Table(title="import summary")
    table.add_column("kind")
    for outcome in OUTCOMES:
        table.add_column(outcome, justify="right")
    table.add_column("rows/s", justify="right")
    for kind in kinds:
        rate = len(kind.rows) / kind.seconds if kind.seconds else 0.0
        table.add_row(kind.name, *(str(kind.totals[o]) for o in OUTCOMES), f"{rate:,.0f}")
    return table


def failures(api: Api, kinds: list[KindResult]) -> list[str]:
    """The skipped and failed rows, with their reasons."""
    found = []
    for kind, index, outcome, reason in _outcomes(api, kinds):
        if outcome in ("SKIPPED", "FAILED"):
            found.append(f"{kind} row {index}: {outcome}: {reason}")
    return found


def _outcomes(api: Api, kinds: list[KindResult]) -> list[tuple[str, int, str, str | None]]:
    found: list[tuple[str, int, str, str | None]] = []
    for kind in kinds:
        for first, import_id in kind.import_ids:
            offset = 0
            while True:
                page = api.call(_ROWS, {"id": import_id, "offset": offset})["bulkImport"]["rows"]
                found.extend(
                    (kind.name, first + r["index"], r["outcome"], r["reason"]) for r in page
                )
                if len(page) < 5000:
                    break
                offset += len(page)
    return found


def write_report(api: Api, kinds: list[KindResult], path: Path) -> None:
    """One JSON line per row: its kind, its index in the file, outcome and reason."""
    with path.open("w", encoding="utf-8") as out:
        for kind, index, outcome, reason in _outcomes(api, kinds):
            line = {"kind": kind, "index": index, "outcome": outcome, "reason": reason}
            out.write(json.dumps(line) + "\n")
