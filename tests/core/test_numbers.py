"""The CSV number format shared by `export_kpis` and the dashboards' CSV tables."""

from __future__ import annotations

import pytest

from core.numbers import csv_number


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (12.5, "12.5"),
        (0.0, "0"),
        (100.0, "100"),
        (-3.14159265, "-3.1416"),
        (2 / 3, "0.6667"),
        (-0.00001, "0"),  # rounds to zero: never "-0"
        (-0.0, "0"),
        (1e-5, "0"),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_numbers_have_up_to_four_decimals_without_trailing_zeros(value: float | None, text: str) -> None:
    assert csv_number(value) == text
