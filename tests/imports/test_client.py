"""The command's path: files read and checked here, sent over the API, followed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from app.imports import client
from tests.conftest import GraphQL
from tests.imports.conftest import FILES


def _run(api: GraphQL, tmp_path: Path, **files: Path) -> list[client.KindResult]:
    remote = client.Api("http://testserver", str(api.key), http=api.client)
    kinds = client.load(dict(files), skip_invalid=False)
    with (tmp_path / "out").open("w") as out:
        client.run(remote, kinds, skip_invalid=False, console=Console(file=out))
    client.write_report(remote, kinds, tmp_path / "report.jsonl")
    return kinds


def test_the_example_files_import_and_a_second_run_changes_nothing(
    import_api: GraphQL, tmp_path: Path
) -> None:
    files = {
        "customers": FILES / "customers.json",
        "subscriptions": FILES / "subscriptions.json",
        "usage": FILES / "usage.json",
    }
    first = _run(import_api, tmp_path, **files)
    assert [k.totals["created"] for k in first] == [1, 1, 1]

    second = _run(import_api, tmp_path, **files)

    assert [(k.totals["created"], k.totals["updated"]) for k in second] == [(0, 0)] * 3
    lines = [json.loads(line) for line in (tmp_path / "report.jsonl").read_text().splitlines()]
    assert {(line["kind"], line["outcome"]) for line in lines} == {
        ("customers", "UNCHANGED"),
        ("subscriptions", "UNCHANGED"),
        ("usage", "UNCHANGED"),
    }


def test_a_file_with_bad_rows_is_refused_whole_with_each_row_named(tmp_path: Path) -> None:
    bad = tmp_path / "customers.json"
    bad.write_text('{customers: [{customerId: "ok"}, {name: "no id"}, {customerId: "a b"},]}')
    with pytest.raises(client.ImportRefused) as refused:
        client.load({"customers": bad}, skip_invalid=False)
    assert refused.value.problems == [
        "row 1: customers.json:customers[1].customerId: Field required",
        "row 2: customers.json:customers[2].customerId: must be 1-255 characters: letters, "
        "digits and . _ : @ + -, starting with a letter or digit",
    ]
