"""The order tests are handed to parallel workers in, so that none waits on another.

pytest-xdist's worksteal scheduler gives each worker an equal count of tests, in
collection order, and an idle worker takes the second half of the busiest one's queue.
A test of half a minute that comes last keeps one worker busy while the others idle.
So each run records how long every test took (in pytest's cache), and the next run
deals the long ones first, each to the worker with the least work so far, the rest
after them in their own order (tests of a module stay together, sharing their module
fixtures). Without a record of its own (a fresh clone), a run takes the long tests'
times from ``tests/durations.json`` (``make durations`` writes it afresh), and a test
marked slow that neither names counts as long.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SHIPPED = Path(__file__).with_name("durations.json")

CACHE_KEY = "billing-sync/durations"
LONG = 2.0  # seconds: dealt first
GUESS_SLOW = 15.0  # a slow test never timed
GUESS = 0.2


def _guess(item: pytest.Item, durations: dict[str, float]) -> float:
    if item.nodeid in durations:
        return durations[item.nodeid]
    return GUESS_SLOW if item.get_closest_marker("slow") else GUESS


def deal(items: list[pytest.Item], workers: int, durations: dict[str, float]) -> list[pytest.Item]:
    """``items`` reordered: ``workers`` runs of equal count, each starting with its long
    tests (longest first) and the long tests spread so the runs' totals are close."""
    if workers < 2 or len(items) < workers:
        return items
    weight = {item.nodeid: _guess(item, durations) for item in items}
    counts = [len(items) // workers + (i < len(items) % workers) for i in range(workers)]
    long = sorted((i for i in items if weight[i.nodeid] >= LONG), key=lambda i: -weight[i.nodeid])
    runs: list[list[pytest.Item]] = [[] for _ in range(workers)]
    loads = [0.0] * workers
    for item in long:
        open_runs = [n for n in range(workers) if len(runs[n]) < counts[n]]
        chosen = min(open_runs, key=lambda n: loads[n])
        runs[chosen].append(item)
        loads[chosen] += weight[item.nodeid]
    taken = {item.nodeid for item in long}
    rest = iter([item for item in items if item.nodeid not in taken])
    for n in range(workers):
        runs[n].extend(next(rest) for _ in range(counts[n] - len(runs[n])))
    return [item for run in runs for item in run]


def worker_count(config: pytest.Config) -> int:
    workerinput = getattr(config, "workerinput", None)
    return int(workerinput["workercount"]) if workerinput else 1


def recorded(config: pytest.Config) -> dict[str, float]:
    """This checkout's own record, over the one shipped with the tests."""
    shipped = json.loads(SHIPPED.read_text()) if SHIPPED.exists() else {}
    found = config.cache.get(CACHE_KEY, {}) if config.cache is not None else {}
    return shipped | (found if isinstance(found, dict) else {})


class Timings:
    """Collects each test's time (setup, call and teardown) as reports arrive."""

    def __init__(self) -> None:
        self.durations: dict[str, float] = {}

    def add(self, report: pytest.TestReport) -> None:
        self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + report.duration

    def save(self, config: pytest.Config) -> None:
        if config.cache is None or not self.durations:
            return
        merged = recorded(config) | {k: round(v, 3) for k, v in self.durations.items()}
        config.cache.set(CACHE_KEY, merged)


def write_shipped(config: pytest.Config) -> None:
    """``tests/durations.json``: the long tests of this checkout's record."""
    long = {k: round(v, 1) for k, v in sorted(recorded(config).items()) if v >= LONG / 2}
    SHIPPED.write_text(json.dumps(long, indent=1) + "\n")


_timings = Timings()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items[:] = deal(items, worker_count(config), recorded(config))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _timings.add(report)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if hasattr(session.config, "workerinput"):
        return  # the controller, which hears every worker's reports, records them
    _timings.save(session.config)
    if session.config.getoption("write_durations", False):
        write_shipped(session.config)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--write-durations",
        dest="write_durations",
        action="store_true",
        help="write the long tests' times to tests/durations.json at the end",
    )
