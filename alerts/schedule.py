"""Beat entries of alerts (settings merges them into the one CELERY_BEAT_SCHEDULE).

The weekly digest runs Monday 08:00 UTC unless `DIGEST_CRON` ("minute hour day-of-month
month day-of-week", e.g. "30 7 * * 1") says otherwise; it expires within the hour so a
backlog never sends a digest late and twice. Alert rules need no entry: they are evaluated
after every rollup."""

from __future__ import annotations

import os

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured


def digest_crontab(spec: str) -> crontab:
    fields = spec.split()
    if len(fields) != 5:
        raise ImproperlyConfigured(f"DIGEST_CRON needs 5 fields (minute hour day month weekday), got {spec!r}")
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    try:
        return crontab(minute=minute, hour=hour, day_of_month=day_of_month, month_of_year=month_of_year,
                       day_of_week=day_of_week)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DIGEST_CRON {spec!r}: {exc}") from None


ALERTS_BEAT_SCHEDULE: dict[str, dict] = {
    "alerts-weekly-digest": {
        "task": "alerts.send_weekly_digests",
        "schedule": digest_crontab(os.environ.get("DIGEST_CRON", "0 8 * * 1")),
        "options": {"expires": 3300},
    },
}
