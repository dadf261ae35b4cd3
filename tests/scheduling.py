"""The order tests are handed to parallel workers in, so that none waits on another.

pytest-xdist's worksteal scheduler gives each worker an equal count of tests, in
collection order, and an idle worker takes the second half of the busiest one's queue.
A test of half a minute that comes last keeps one worker busy while the others idle.
So each run records how long every test took (in pytest's cache), and the next run
deals the long ones first, each to the worker with the least work so far, the rest
after them in their own order (tests of a module stay together, sharing their module
fixtures). Tests marked ``xdist_group(name)`` share a fixture that is costly to start
(a live service): they are dealt together, to one worker, as one long test. Without a
record of its own (a fresh clone), a run takes the long tests' times from
``tests/durations.json`` (``make durations`` writes it afresh), and a test marked slow
that neither names counts as long.
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


def _group(item: pytest.Item) -> str | None:
    """The name of the tests ``item`` shares a costly fixture with (a live service), given
    by ``pytest.mark.xdist_group(name)``: they are dealt to one worker, so that it is
    started once."""
    marker = item.get_closest_marker("xdist_group")
    if marker is None:
        return None
    return str(marker.args[0] if marker.args else marker.kwargs["name"])


def _units(items: list[pytest.Item]) -> list[list[pytest.Item]]:
    """Each group's tests as one unit, where its first test stands; each other test alone."""
    units: list[list[pytest.Item]] = []
    groups: dict[str, list[pytest.Item]] = {}
    for item in items:
        name = _group(item)
        if name is None:
            units.append([item])
        elif name in groups:
            groups[name].append(item)
        else:
            groups[name] = [item]
            units.append(groups[name])
    return units


def deal(items: list[pytest.Item], workers: int, durations: dict[str, float]) -> list[pytest.Item]:
    """``items`` reordered: ``workers`` runs of equal count, each starting with its long
    tests (longest first) and the long tests spread so the runs' totals are close. The
    tests of a group count as one long test of their summed time, and stay together."""
    if workers < 2 or len(items) < workers:
        return items
    weight = {item.nodeid: _guess(item, durations) for item in items}
    counts = [len(items) // workers + (i < len(items) % workers) for i in range(workers)]
    units = _units(items)
    cost = {id(unit): sum(weight[item.nodeid] for item in unit) for unit in units}
    long = sorted(
        (u for u in units if cost[id(u)] >= LONG or len(u) > 1), key=lambda u: -cost[id(u)]
    )
    runs: list[list[pytest.Item]] = [[] for _ in range(workers)]
    loads = [0.0] * workers
    for unit in long:
        open_runs = [n for n in range(workers) if len(runs[n]) + len(unit) <= counts[n]]
        chosen = min(open_runs or range(workers), key=lambda n: loads[n])
        runs[chosen].extend(unit)
        loads[chosen] += cost[id(unit)]
    taken = {item.nodeid for unit in long for item in unit}
    rest = [item for item in items if item.nodeid not in taken]
    # The equal counts again, now that the groups are placed: the rest fills each run up.
    counts = _fill(counts, [len(run) for run in runs], len(rest))
    start = 0
    for n in range(workers):
        runs[n].extend(rest[start : start + counts[n]])
        start += counts[n]
    return [item for run in runs for item in run]


def _fill(counts: list[int], placed: list[int], rest: int) -> list[int]:
    """How many of the ``rest`` each run takes so that the runs end as close to
    ``counts`` as the placed groups allow."""
    room = [max(count - have, 0) for count, have in zip(counts, placed, strict=True)]
    taken = [0] * len(counts)
    left = rest
    for n in range(len(counts)):
        taken[n] = min(room[n], left)
        left -= taken[n]
    # A run that took more than its count (a large group) leaves the others the excess.
    n = 0
    while left > 0:
        taken[n % len(counts)] += 1
        left -= 1
        n += 1
    return taken


def worker_count(config: pytest.Config) -> int:
    workerinput = getattr(config, "workerinput", None)
    return int(workerinput["workercount"]) if workerinput else 1


def recorded(config: pytest.Config) -> dict[str, float]:
    """This checkout's own record, over the one shipped with the tests."""
    shipped = json.loads(SHIPPED.read_text()) if SHIPPED.exists() else {}
    cache = getattr(config, "cache", None)  # absent under -p no:cacheprovider
    found = cache.get(CACHE_KEY, {}) if cache is not None else {}
    return shipped | (found if isinstance(found, dict) else {})


class Timings:
    """Collects each test's time (setup, call and teardown) as reports arrive."""

    def __init__(self) -> None:
        self.durations: dict[str, float] = {}

    def add(self, report: pytest.TestReport) -> None:
        self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + report.duration

    def save(self, config: pytest.Config) -> None:
        cache = getattr(config, "cache", None)
        if cache is None or not self.durations:
            return
        merged = recorded(config) | {k: round(v, 3) for k, v in self.durations.items()}
        cache.set(CACHE_KEY, merged)


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
