"""The beat entry of the sources: every 15 minutes, one dispatcher that enqueues a
task per enabled source; it expires before the next one is due."""

from __future__ import annotations

from celery.schedules import crontab

SOURCES_BEAT_SCHEDULE: dict[str, dict] = {
    "sources-sync-all": {
        "task": "sources.sync_all",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 14 * 60},
    },
}
