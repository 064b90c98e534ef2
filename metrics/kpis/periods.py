"""Periods of docs/records.md: ISO weeks (Monday), calendar months and quarters, cut in UTC.

A period is named by its first day (`period_start`). Besides the scalar helpers
used by pages and the API, each grain has an integer *ordinal* (weeks, months or
quarters since 1970) so the rollup can place millions of timestamps in periods
with numpy, without a Python loop.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np

from core.dates import utc_day

#: The period lengths KPIs are computed for; the catalog says which KPIs use which.
GRAINS = ("week", "month", "quarter")
MONTHLY_GRAINS = ("month", "quarter")

_EPOCH = date(1970, 1, 1)  # a Thursday: day 0; Monday 1969-12-29 is day -3
US_PER_DAY = 86_400 * 1_000_000


def _check(grain: str) -> None:
    if grain not in GRAINS:
        raise ValueError(f"unknown grain {grain!r}; expected one of {', '.join(GRAINS)}")


_as_day = utc_day


def period_start_for(grain: str, value: date | datetime) -> date:
    """The first day of the period of `grain` that holds `value` (UTC)."""
    _check(grain)
    day = _as_day(value)
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def next_period_start(grain: str, period_start: date) -> date:
    """The first day of the period after the one starting at `period_start`."""
    _check(grain)
    if grain == "week":
        return period_start + timedelta(days=7)
    months = 1 if grain == "month" else 3
    index = period_start.year * 12 + period_start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_bounds(grain: str, period_start: date) -> tuple[datetime, datetime]:
    """[start, end) of the period as aware UTC datetimes."""
    start = period_start_for(grain, period_start)
    end = next_period_start(grain, start)
    return (
        datetime(start.year, start.month, start.day, tzinfo=UTC),
        datetime(end.year, end.month, end.day, tzinfo=UTC),
    )


def days_in_period(grain: str, period_start: date) -> int:
    start = period_start_for(grain, period_start)
    return (next_period_start(grain, start) - start).days


def periods_between(grain: str, first: date | datetime, last: date | datetime) -> list[date]:
    """Every period_start from the period holding `first` to the one holding `last`, inclusive."""
    current = period_start_for(grain, first)
    end = period_start_for(grain, last)
    out: list[date] = []
    while current <= end:
        out.append(current)
        current = next_period_start(grain, current)
    return out


# --- vectorised: ordinals -------------------------------------------------------------------


def ordinal_of_days(grain: str, days: np.ndarray) -> np.ndarray:
    """Period ordinals for int64 day numbers (days since 1970-01-01, UTC)."""
    _check(grain)
    days = np.asarray(days, dtype=np.int64)
    if grain == "week":
        return (days + 3) // 7
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months if grain == "month" else months // 3


def ordinal_of_us(grain: str, micros: np.ndarray) -> np.ndarray:
    """Period ordinals for int64 microseconds since the epoch (UTC)."""
    return ordinal_of_days(grain, np.floor_divide(np.asarray(micros, dtype=np.int64), US_PER_DAY))


def ordinal_start_days(grain: str, ordinals: np.ndarray) -> np.ndarray:
    """Day numbers of the first day of each period ordinal."""
    _check(grain)
    ordinals = np.asarray(ordinals, dtype=np.int64)
    if grain == "week":
        return ordinals * 7 - 3
    months = ordinals if grain == "month" else ordinals * 3
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def ordinal_end_days(grain: str, ordinals: np.ndarray) -> np.ndarray:
    """Day numbers of the first day after each period ordinal."""
    return ordinal_start_days(grain, np.asarray(ordinals, dtype=np.int64) + 1)


def day_number(value: date | datetime) -> int:
    return (_as_day(value) - _EPOCH).days


def day_from_number(number: int) -> date:
    return _EPOCH + timedelta(days=int(number))


def ordinal_of(grain: str, value: date | datetime) -> int:
    return int(ordinal_of_days(grain, np.array([day_number(value)]))[0])


def start_of_ordinal(grain: str, ordinal: int) -> date:
    return day_from_number(int(ordinal_start_days(grain, np.array([ordinal]))[0]))


def to_us(value: datetime) -> int:
    """Microseconds since the epoch of an aware datetime (naive = UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
