"""The count of requests the fuzz suite sent, printed at the end of the run (summed over
pytest-xdist's workers)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fuzz.checks import TALLY


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput: dict[str, Any] | None = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["fuzz"] = (TALLY.generated, TALLY.hostile, TALLY.seen_codes)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any) -> None:
    generated, hostile, codes = getattr(node, "workeroutput", {}).get("fuzz", (0, 0, {}))
    TALLY.generated += generated
    TALLY.hostile += hostile
    for code, count in codes.items():
        TALLY.seen_codes[code] = TALLY.seen_codes.get(code, 0) + count


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TALLY.generated or TALLY.hostile:
        terminalreporter.write_line(
            f"fuzz: {TALLY.generated} generated and {TALLY.hostile} hand-written requests "
            "checked (failures, if any, are listed above)"
        )
        codes = ", ".join(f"{code} {n}" for code, n in sorted(TALLY.seen_codes.items()))
        terminalreporter.write_line(f"fuzz: error codes answered: {codes}")
