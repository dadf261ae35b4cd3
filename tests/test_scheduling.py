"""The order tests are dealt to parallel workers in."""

from __future__ import annotations

from typing import Any

import pytest

from tests.scheduling import deal


class Item:
    def __init__(self, nodeid: str, slow: bool = False, group: str | None = None) -> None:
        self.nodeid = nodeid
        self.slow = slow
        self.group = group

    def get_closest_marker(self, name: str) -> Any:
        if name == "xdist_group" and self.group is not None:
            return pytest.mark.xdist_group(self.group).mark
        return object() if name == "slow" and self.slow else None


def test_each_worker_gets_an_equal_count_starting_with_its_share_of_the_long_tests() -> None:
    items: Any = [Item(f"t{n}") for n in range(20)]
    durations = {"t3": 30.0, "t7": 20.0, "t12": 18.0, "t15": 5.0}
    dealt = [item.nodeid for item in deal(items, 2, durations)]
    first, second = dealt[:10], dealt[10:]
    assert sorted(dealt) == sorted(item.nodeid for item in items)
    # Longest first, each to the worker with less: 30 | 20 + 18, then 5 to the first.
    assert first[:2] == ["t3", "t15"]
    assert second[:2] == ["t7", "t12"]
    # The rest keep their order (a module's tests together).
    rest = [n for n in dealt if n not in durations]
    assert rest == [f"t{n}" for n in range(20) if f"t{n}" not in durations]


def test_a_slow_test_never_timed_counts_as_long() -> None:
    items: Any = [Item(f"t{n}") for n in range(6)] + [Item("s1", slow=True), Item("s2", True)]
    dealt = [item.nodeid for item in deal(items, 2, {})]
    assert dealt[0] == "s1" and dealt[4] == "s2"


def test_one_worker_keeps_the_collected_order() -> None:
    items: Any = [Item(f"t{n}") for n in range(5)]
    assert deal(items, 1, {"t4": 60.0}) == items


def test_a_group_is_dealt_whole_to_one_worker_however_its_times_spread() -> None:
    grouped = [Item(f"g{n}", group="live") for n in range(4)]
    items: Any = [Item(f"t{n}") for n in range(12)]
    items[2:2] = grouped[:2]
    items[9:9] = grouped[2:]
    # Each test of the group was timed long on its own (the first to start the service).
    durations = {"g0": 9.0, "g1": 3.0, "g2": 8.0, "g3": 0.1, "t5": 10.0}
    dealt = [item.nodeid for item in deal(items, 3, durations)]
    assert sorted(dealt) == sorted(item.nodeid for item in items)
    runs = [dealt[:6], dealt[6:11], dealt[11:]]  # 16 tests: 6, 5 and 5
    (holding,) = [run for run in runs if "g0" in run]
    assert holding[:4] == ["g0", "g1", "g2", "g3"]  # together, in their order, first
    assert "t5" not in holding  # the longest single test goes to another worker


def test_a_group_larger_than_a_run_still_stays_together() -> None:
    items: Any = [Item(f"g{n}", group="live") for n in range(5)] + [Item(f"t{n}") for n in range(3)]
    dealt = [item.nodeid for item in deal(items, 2, {})]
    assert dealt[:5] == [f"g{n}" for n in range(5)]
    assert sorted(dealt[5:]) == ["t0", "t1", "t2"]
