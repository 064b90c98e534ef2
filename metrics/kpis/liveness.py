"""Is a "running" rollup really running? A run holds a PostgreSQL advisory lock of its own for
as long as it runs, on its worker's database session.

When the worker dies (`kill -9`, a lost machine) its connection closes and PostgreSQL drops the
lock at once, so a run still marked running whose lock is free lost its worker: it shows as
abandoned within seconds instead of after Celery's 30-minute time limit, and the next rollup
closes its row. Off PostgreSQL (the embedded SQLite default, where the worker is the web
process) the time-limit rule remains.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from metrics.kpis.models import RollupRun

_RUN_LOCK_BASE = 0x4B52_0000_0000_0000  # "KR": one advisory lock key per RollupRun id
#: A run younger than this is never judged: its row is written just before its lock is taken.
GRACE = timedelta(seconds=15)
ABANDONED = "abandoned: the worker running it was lost (its database session ended)"


def _key(run_id: int) -> int:
    return _RUN_LOCK_BASE + run_id


@contextmanager
def holding_run_lock(run: RollupRun) -> Iterator[None]:
    """Hold the run's own lock for the duration of the block (no-op off PostgreSQL)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [_key(run.pk)])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_key(run.pk)])


def _lock_is_free(run_id: int) -> bool:
    """Whether no session holds the run's lock (looked up in pg_locks, nothing is taken)."""
    key = _key(run_id)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid = %s AND objid = %s AND objsubid = 1",
            [key >> 32, key & 0xFFFF_FFFF],
        )
        return cursor.fetchone() is None


def is_abandoned(run: RollupRun, now: datetime | None = None) -> bool:
    """A run still marked running whose worker is gone."""
    if run.status != RollupRun.Status.RUNNING:
        return False
    age = (now or timezone.now()) - run.started_at
    if age.total_seconds() > settings.CELERY_TASK_TIME_LIMIT:
        return True
    if connection.vendor != "postgresql" or age < GRACE:
        return False
    return _lock_is_free(run.pk)


def close_abandoned_runs(now: datetime | None = None) -> int:
    """Mark the runs whose worker was lost as failed (the next rollup calls this); returns how many."""
    now = now or timezone.now()
    closed = 0
    for run in RollupRun.objects.filter(status=RollupRun.Status.RUNNING):
        if is_abandoned(run, now):
            closed += RollupRun.objects.filter(pk=run.pk, status=RollupRun.Status.RUNNING).update(
                status=RollupRun.Status.FAILED, error=ABANDONED, finished_at=now
            )
    return closed
