"""UTC days: KPIs cut periods at midnight UTC, whatever the current time zone.

The one place for "which UTC day is this moment" and "the UTC datetimes bounding
these days"; periods (week, month, quarter) build on it in `metrics.kpis.periods`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time


def utc_day(value: date | datetime) -> date:
    """The UTC calendar day of `value`; a naive datetime is taken as UTC, a date is itself."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.date()
    return value


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of `day`, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start, end) as aware UTC datetimes: midnight UTC of `start` and of `end`."""
    return day_start(start), day_start(end)
