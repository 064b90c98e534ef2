"""Periods of docs/records.md: ISO weeks from Monday, calendar months and quarters, in UTC."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from metrics.kpis import periods

UTC = dt.UTC


@pytest.mark.parametrize(
    ("grain", "value", "start"),
    [
        ("week", dt.date(2026, 3, 1), dt.date(2026, 2, 23)),  # a Sunday belongs to the week from Monday Feb 23
        ("week", dt.date(2026, 3, 2), dt.date(2026, 3, 2)),  # a Monday starts its own week
        ("week", dt.date(2027, 1, 1), dt.date(2026, 12, 28)),  # ISO week 53 of 2026 spans the new year
        ("month", dt.date(2026, 2, 28), dt.date(2026, 2, 1)),
        ("quarter", dt.date(2026, 3, 31), dt.date(2026, 1, 1)),
        ("quarter", dt.date(2026, 4, 1), dt.date(2026, 4, 1)),
        ("quarter", dt.date(2026, 12, 31), dt.date(2026, 10, 1)),
    ],
)
def test_period_start_for(grain: str, value: dt.date, start: dt.date) -> None:
    assert periods.period_start_for(grain, value) == start


def test_periods_are_cut_in_utc() -> None:
    # 23:30 at −02:00 on March 31 is already April 1 (Q2) in UTC
    late = dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-2)))
    assert periods.period_start_for("quarter", late) == dt.date(2026, 4, 1)
    assert periods.period_start_for(
        "month", dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    ) == dt.date(2026, 3, 1)


def test_bounds_days_and_lists() -> None:
    assert periods.period_bounds("month", dt.date(2026, 2, 1)) == (
        dt.datetime(2026, 2, 1, tzinfo=UTC),
        dt.datetime(2026, 3, 1, tzinfo=UTC),
    )
    assert periods.period_bounds("quarter", dt.date(2026, 10, 1))[1] == dt.datetime(2027, 1, 1, tzinfo=UTC)
    assert [
        periods.days_in_period("month", dt.date(2028, 2, 1)),
        periods.days_in_period("quarter", dt.date(2026, 1, 1)),
        periods.days_in_period("week", dt.date(2026, 3, 2)),
    ] == [29, 90, 7]
    assert periods.periods_between("quarter", dt.date(2025, 11, 5), dt.date(2026, 4, 2)) == [
        dt.date(2025, 10, 1),
        dt.date(2026, 1, 1),
        dt.date(2026, 4, 1),
    ]
    assert periods.periods_between("week", dt.date(2026, 3, 1), dt.date(2026, 3, 9)) == [
        dt.date(2026, 2, 23),
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 9),
    ]
    with pytest.raises(ValueError, match="unknown grain"):
        periods.period_start_for("year", dt.date(2026, 1, 1))


@pytest.mark.parametrize("grain", ["week", "month", "quarter"])
def test_vectorised_ordinals_agree_with_the_calendar(grain: str) -> None:
    days = [dt.date(1969, 12, 25) + dt.timedelta(days=n) for n in range(0, 25_000, 13)]
    micros = np.array(
        [periods.to_us(dt.datetime(d.year, d.month, d.day, 23, 59, 59, 999_999, tzinfo=UTC)) for d in days]
    )
    ordinals = periods.ordinal_of_us(grain, micros)
    starts = periods.ordinal_start_days(grain, ordinals)
    assert [periods.day_from_number(s) for s in starts] == [periods.period_start_for(grain, d) for d in days]
