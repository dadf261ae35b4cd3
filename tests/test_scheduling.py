"""The order tests are dealt to parallel workers in."""

from __future__ import annotations

from typing import Any

from tests.scheduling import deal


class Item:
    def __init__(self, nodeid: str, slow: bool = False) -> None:
        self.nodeid = nodeid
        self.slow = slow

    def get_closest_marker(self, name: str) -> Any:
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
