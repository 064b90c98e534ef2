"""Celery beat crontabs written as five cron fields in an environment variable."""

from __future__ import annotations

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured


def crontab_from(spec: str, name: str) -> crontab:
    """`"minute hour day-of-month month day-of-week"` (e.g. "0 8 * * 1") as a crontab; a bad
    value fails fast naming the variable."""
    fields = spec.split()
    if len(fields) != 5:
        raise ImproperlyConfigured(f"{name} needs 5 fields (minute hour day month weekday), got {spec!r}")
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    try:
        return crontab(
            minute=minute, hour=hour, day_of_month=day_of_month, month_of_year=month_of_year, day_of_week=day_of_week
        )
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} {spec!r}: {exc}") from None
