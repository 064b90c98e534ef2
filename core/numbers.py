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
    number = float(value)
    return None if math.isnan(number) else number


def csv_number(value: float | None) -> str:
    """A number as our CSV files write it: up to 4 decimals, trailing zeros dropped (`12.5`, `0`,
    `-3.1416`), never `-0`; empty for a missing value. Used by `export_kpis` and the dashboards'
    CSV tables, so one number reads the same in both."""
    if is_missing(value):
        return ""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
