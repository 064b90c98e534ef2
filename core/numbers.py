"""Missing numbers: a KPI value is None in Python, null in the database and NaN in pandas."""

from __future__ import annotations

import math


def is_missing(value: object) -> bool:
    """True for None and NaN (a null value that went through pandas)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def number_or_none(value: object) -> float | None:
    """`value` as a float, None when it is missing (None or NaN)."""
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) else number
