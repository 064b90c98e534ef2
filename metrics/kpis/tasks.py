"""Celery tasks of the KPI engine: thin wrappers over `metrics.kpis.rollup`.

Each is idempotent (snapshots are recomputed from the records and upserted) and
`acks_late`, so a worker lost mid-run leaves the message to be redelivered.
Only transient database errors are retried, with exponential backoff.
"""

from __future__ import annotations

from celery import group, shared_task
from django.db import InterfaceError, OperationalError

from metrics.kpis import rollup
from metrics.kpis.dirty import clear_pending_flag

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
def rollup_full(since: str | None = None) -> int:
    """Recompute every snapshot (from `since`, an ISO date, when given)."""
    from datetime import date

    return rollup.full_rollup(since=date.fromisoformat(since) if since else None)


@shared_task(name="metrics.rollup_unit", **_RETRY)
def rollup_unit(unit: dict) -> int:
    """Run one unit of a full rollup (see `metrics.kpis.rollup.rollup_units`), e.g. from a Celery group."""
    return rollup.run_unit(unit)


@shared_task(name="metrics.rollup_full_distributed", ignore_result=True)
def rollup_full_distributed(since: str | None = None) -> int:
    """Fan a full rollup out to every worker as a Celery group of `rollup_unit` tasks; returns units sent.

    Each unit records its own `RollupRun`, so progress and failures show in `rollup_status`
    without a result backend (a chord would need one). Added by ops (issue 6) for scale-out.
    """
    from datetime import date

    units = rollup.rollup_units(since=date.fromisoformat(since) if since else None)
    group(rollup_unit.s(unit) for unit in units).apply_async()
    return len(units)
