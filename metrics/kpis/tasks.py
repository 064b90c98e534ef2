"""Celery tasks of the KPI engine: thin wrappers over `metrics.kpis.rollup`.

Each is idempotent (snapshots are recomputed from the records and upserted) and
`acks_late`, so a worker lost mid-run leaves the message to be redelivered.
Only transient database errors are retried, with exponential backoff.
"""

from __future__ import annotations

import logging

from celery import group, shared_task
from django.db import InterfaceError, OperationalError

from metrics.kpis import rollup
from metrics.kpis.dirty import clear_pending_flag

logger = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError)
_RETRY = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
    "ignore_result": True,
}


@shared_task(name="metrics.rollup_dirty", **_RETRY)
def rollup_dirty() -> int:
    """Recompute the snapshots of the pending dirty ranges; returns snapshots written."""
    clear_pending_flag()  # writes committed from now on enqueue the next run
    return rollup.incremental_rollup()


@shared_task(name="metrics.rollup_full", **_RETRY)
def rollup_full(since: str | None = None, distribute: bool = False) -> int:
    """Recompute every snapshot (from `since`, an ISO date, when given); returns snapshots written.

    `distribute` (the nightly beat entry): when the workers can run more than one task at once
    (several workers, or one with several processes), fan the rollup out as units instead
    (`rollup_full_distributed`; returns units sent)."""
    from datetime import date

    workers = worker_processes() if distribute else 0
    if workers > 1:
        return rollup_full_distributed(since, workers=workers)
    return rollup.full_rollup(since=date.fromisoformat(since) if since else None)


#: How long the nightly run waits for workers to answer before it counts them.
PING_TIMEOUT = 1.0


def worker_processes() -> int:
    """How many tasks the Celery workers can run at once: the pool size of every worker that
    answers (`--concurrency N`: N; the default is one per CPU), summed, this one's included.
    0 without a broker (eager mode) or when the broker cannot be asked — the caller then rolls up
    in its own process."""
    from celery import current_app
    from django.conf import settings

    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        return 0
    try:
        stats = current_app.control.inspect(timeout=PING_TIMEOUT).stats() or {}
    except Exception:  # any broker trouble: fall back to the single-process rollup
        logger.warning("could not count the workers; full rollup in this process", exc_info=True)
        return 0
    return sum(_pool_size(worker) for worker in stats.values())


def _pool_size(stats: object) -> int:
    """A worker's pool size from its `inspect().stats()` answer; 1 when it does not say (solo pool)."""
    pool = stats.get("pool") if isinstance(stats, dict) else None
    size = pool.get("max-concurrency") if isinstance(pool, dict) else None
    return size if isinstance(size, int) and size > 0 else 1


@shared_task(name="metrics.rollup_unit", **_RETRY)
def rollup_unit(unit: dict) -> int:
    """Run one unit of a full rollup (see `metrics.kpis.rollup.rollup_units`), e.g. from a Celery group."""
    return rollup.run_unit(unit)


@shared_task(name="metrics.rollup_full_distributed", ignore_result=True)
def rollup_full_distributed(since: str | None = None, workers: int = 0) -> int:
    """Fan a full rollup out to every worker as a Celery group of `rollup_unit` tasks; returns units sent.

    Units are windows of time (`metrics.kpis.windows`), two per worker when `workers` is given
    (the nightly run counts them): together they own every period of every grain, each writes
    only its own periods, so they run in any order and any number at once.
    Each unit records its own `RollupRun`, so progress and failures show in `rollup_status`
    without a result backend (a chord would need one).
    """
    from datetime import date

    units = rollup.rollup_units(since=date.fromisoformat(since) if since else None, workers=workers)
    group(rollup_unit.s(unit) for unit in units).apply_async()
    return len(units)
