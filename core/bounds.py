"""The sane window for dates a record or a request may carry, and the longest range a request
may ask for.

A release dated year 1 once made every rollup allocate 53.9M-week arrays; `?to=9999-12-31`
overflowed date arithmetic. Every event time a record stores, every date filter and every
dashboard range is checked against this window, with a per-field message:

- earliest: `RECORDS_EARLIEST` (default 2000-01-01);
- latest: now + `RECORDS_FUTURE_DAYS` (default 1 day — clocks and time zones differ a little);
- a range covers at most `MAX_RANGE_PERIODS` (default 520) periods of its grain (10 years of weeks).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone


def earliest_date() -> dt.date:
    return dt.date.fromisoformat(str(getattr(settings, "RECORDS_EARLIEST", "2000-01-01")))


def earliest() -> dt.datetime:
    return dt.datetime.combine(earliest_date(), dt.time.min, tzinfo=dt.UTC)


def latest(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) + dt.timedelta(days=int(getattr(settings, "RECORDS_FUTURE_DAYS", 1)))


def latest_date(now: dt.datetime | None = None) -> dt.date:
    return latest(now).date()


def max_periods() -> int:
    return int(getattr(settings, "MAX_RANGE_PERIODS", 520))


def window_text(now: dt.datetime | None = None) -> str:
    end = latest(now).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"between {earliest_date().isoformat()} and {end} (now + {_days()} day)"


def time_problem(value: dt.datetime | None, now: dt.datetime | None = None) -> str | None:
    """Why an event time is outside the window, or None."""
    if value is None or earliest() <= value <= latest(now):
        return None
    return f"must lie {window_text(now)}."


def date_problem(value: dt.date | None, now: dt.datetime | None = None) -> str | None:
    """Why a date (a filter bound, a month) is outside the window, or None."""
    if value is None or earliest_date() <= value <= latest_date(now):
        return None
    return f"must lie between {earliest_date().isoformat()} and {latest_date(now).isoformat()}."


def _days() -> int:
    return int(getattr(settings, "RECORDS_FUTURE_DAYS", 1))


PERIOD_DAYS = {"week": 7, "month": 30.44, "quarter": 91.31}


def range_problem(grain: str, start: dt.date, end: dt.date) -> str | None:
    """Why a range is too long for its grain, or None (counts periods, approximately for months)."""
    limit = max_periods()
    days = (end - start).days + 1
    if days / PERIOD_DAYS.get(grain, 1) > limit + 1:
        return f"a range may cover at most {limit} {grain}s; narrow From/To or choose a coarser grain."
    return None
