"""The Celery beat schedule of the KPI engine (one place; settings imports it).

The incremental rollup runs every minute and expires just before the next one is
due, so a backlog never piles up; the full rollup repairs anything missed nightly.
"""

from __future__ import annotations

from celery.schedules import crontab

CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "kpi-rollup-dirty": {
        "task": "metrics.rollup_dirty",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    "kpi-rollup-full-nightly": {
        "task": "metrics.rollup_full",
        "schedule": crontab(hour=2, minute=17),
        "options": {"expires": 23 * 3600},
    },
}
