"""How event dimensions become numbers and distinct values for meters."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.entitlements.metering import MAX_TOTAL, number, unique_text


@pytest.mark.parametrize(
    ("dimension", "expected"),
    [
        (3, Decimal(3)),
        (2.5, Decimal("2.5")),
        (0.1, Decimal("0.1")),
        (-4, Decimal(-4)),
        (10**30, MAX_TOTAL),
        (-1e300, -MAX_TOTAL),
        (True, None),
        ("3", None),
        (None, None),
        (float("nan"), None),
    ],
)
def test_only_numbers_are_aggregated_and_within_the_columns_range(
    dimension: object, expected: Decimal | None
) -> None:
    assert number(dimension) == expected


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        (1, 1.0, True),
        ("a", "a", True),
        (True, "true", True),
        (1, "1", True),
        (1.5, 1.25, False),
        ("A", "a", False),
        (10**300, 10**300 + 1, False),
    ],
)
def test_unique_values_are_told_apart_by_their_text(
    first: object, second: object, same: bool
) -> None:
    assert (unique_text(first) == unique_text(second)) is same


def test_a_unique_value_fits_its_column() -> None:
    assert len(unique_text(10**300)) <= 255
