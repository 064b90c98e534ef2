"""Reads of what the KPI engine stores, for pages, API, export, health and new apps:
snapshots (as a queryset or one DataFrame), targets and target status, the baseline,
and rollup freshness. The one place for these reads; every read is a fixed number of
queries whatever the number of squads (tests/dashboards/test_query_counts.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from django.conf import settings
from django.db.models import Avg, Count, Max, Min, Q, QuerySet
from django.utils import timezone

from core.numbers import csv_number
from metrics.kpis.catalog import Kpi
from metrics.kpis.liveness import is_abandoned
from metrics.kpis.models import Baseline, DirtyRange, KpiSnapshot, RollupRun, Target
from squads.models import Squad

# ---------------------------------------------------------------------------------------------
# Snapshots

#: Columns of the KPI export and of `snapshot_queryset(...).values_list(*SNAPSHOT_COLUMNS)`.
SNAPSHOT_COLUMNS = ["metric", "scope", "grain", "period_start", "value", "sample_size"]
#: Columns of `snapshot_frame` (one grain per frame, so no grain column).
FRAME_COLUMNS = ["metric", "scope", "period_start", "value", "sample_size"]


def snapshot_queryset(
    *,
    metric: str | list[str] | None = None,
    scope: str | list[str] | None = None,
    grain: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[KpiSnapshot]:
    """Snapshots matching the filters (period_start within [date_from, date_to]), ordered by
    metric, scope, grain, period_start. `metric` and `scope` take one value or a list."""
    qs = KpiSnapshot.objects.all()
    if metric:
        qs = qs.filter(metric__in=[metric] if isinstance(metric, str) else list(metric))
    if scope:
        qs = qs.filter(scope__in=[scope] if isinstance(scope, str) else list(scope))
    if grain:
        qs = qs.filter(grain=grain)
    if date_from:
        qs = qs.filter(period_start__gte=date_from)
    if date_to:
        qs = qs.filter(period_start__lte=date_to)
    return qs.order_by("metric", "scope", "grain", "period_start")


def snapshot_export_rows(
    *,
    metric: str | None = None,
    scope: str | None = None,
    grain: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Iterator[list[object]]:
    """The rows of the KPI CSV export (`export_kpis`), header first: the matching snapshots in
    `snapshot_queryset` order, dates ISO, values by `core.numbers.csv_number`. Streamed in chunks,
    so memory stays flat however many snapshots there are."""
    yield list(SNAPSHOT_COLUMNS)
    rows = snapshot_queryset(metric=metric, scope=scope, grain=grain, date_from=date_from, date_to=date_to).values_list(
        *SNAPSHOT_COLUMNS
    )
    for metric_code, scope_name, grain_name, period_start, value, sample_size in rows.iterator(chunk_size=5000):
        yield [metric_code, scope_name, grain_name, period_start.isoformat(), csv_number(value), sample_size]


def _frame(qs: QuerySet) -> pd.DataFrame:
    rows = list(qs.values_list(*FRAME_COLUMNS))
    frame = pd.DataFrame.from_records(rows, columns=FRAME_COLUMNS)
    frame["value"] = frame["value"].astype("float64")
    frame["sample_size"] = frame["sample_size"].astype("int64")
    return frame


def _scope_filter(scopes: Sequence[str], squads: list[Squad] | None) -> Q:
    condition = Q(scope__in=scopes) if scopes else Q(pk__in=[])
    if squads is not None:
        condition |= Q(scope__in=[squad.scope for squad in squads])
    return condition


def snapshot_frame(
    *,
    grain: str,
    period_from: date,
    period_to: date,
    scopes: Sequence[str] = (),
    squads: list[Squad] | None = None,
    metrics: list[str] | None = None,
) -> pd.DataFrame:
    """Snapshots of `scopes` (and of every squad in `squads`) with period_start in
    [period_from, period_to], as one DataFrame with FRAME_COLUMNS — one query.
    `value` is float (NaN for null), `sample_size` int."""
    qs = KpiSnapshot.objects.filter(
        _scope_filter(list(scopes), squads), grain=grain, period_start__gte=period_from, period_start__lte=period_to
    )
    if metrics is not None:
        qs = qs.filter(metric__in=metrics)
    return _frame(qs.order_by())


# ---------------------------------------------------------------------------------------------
# Baseline


def active_baseline() -> Baseline | None:
    return Baseline.objects.filter(active=True).first()


def baseline_means(
    baseline: Baseline | None, *, grain: str, scopes: Sequence[str] = (), squads: list[Squad] | None = None
) -> dict[tuple[str, str], float]:
    """(metric, scope) → mean of the KPI's non-null snapshots whose period falls in the baseline range."""
    if baseline is None:
        return {}
    rows = (
        KpiSnapshot.objects.filter(
            _scope_filter(list(scopes), squads),
            grain=grain,
            period_start__gte=baseline.start,
            period_start__lte=baseline.end,
            value__isnull=False,
        )
        .order_by()
        .values("metric", "scope")
        .annotate(mean=Avg("value"))
    )
    return {(row["metric"], row["scope"]): row["mean"] for row in rows}


# ---------------------------------------------------------------------------------------------
# Targets

ON_TRACK = "on track"
AT_RISK = "at risk"
OFF_TRACK = "off track"


@dataclass(frozen=True)
class TargetRule:
    value: float
    margin_pct: float


def targets() -> dict[tuple[str, str | None], TargetRule]:
    """(metric, squad slug or None for the org default) → target."""
    rows = Target.objects.values_list("metric", "squad__slug", "value", "at_risk_margin_pct")
    return {(metric, slug): TargetRule(value, margin) for metric, slug, value, margin in rows}


def target_for(rules: dict[tuple[str, str | None], TargetRule], metric: str, squad: str | None) -> TargetRule | None:
    """The squad's override when it has one, else the org default."""
    if squad is not None and (metric, squad) in rules:
        return rules[(metric, squad)]
    return rules.get((metric, None))


def target_status(kpi: Kpi, value: float | None, target: float | None, margin_pct: float) -> str | None:
    """On track when the value is at least as good as the target; at risk when it misses by at most
    `margin_pct` % of the target (on the wrong side); off track beyond. None without value or target."""
    if value is None or target is None:
        return None
    margin = abs(target) * margin_pct / 100.0
    if kpi.higher_is_better:
        if value >= target:
            return ON_TRACK
        return AT_RISK if value >= target - margin else OFF_TRACK
    if value <= target:
        return ON_TRACK
    return AT_RISK if value <= target + margin else OFF_TRACK


# ---------------------------------------------------------------------------------------------
# Rollup freshness


def last_successful_rollup_at() -> datetime | None:
    """When the last successful KPI rollup (any kind) finished: the finish time of the most
    recently started succeeded run. The one definition health, `rollup_status` and pages use."""
    return (
        RollupRun.objects.filter(status=RollupRun.Status.SUCCEEDED, finished_at__isnull=False)
        .order_by("-started_at")  # the order RollupRun is kept in (Meta.ordering)
        .values_list("finished_at", flat=True)
        .first()
    )


def is_stale(last_success: datetime | None, now: datetime | None = None) -> bool:
    """KPIs are stale when no rollup succeeded within KPI_STALE_AFTER (or ever)."""
    if last_success is None:
        return True
    return (now or timezone.now()) - last_success > settings.KPI_STALE_AFTER


@dataclass(frozen=True)
class RollupInfo:
    at: datetime | None
    stale: bool


def last_rollup() -> RollupInfo:
    """When the KPIs shown were last computed, for pages: the last successful rollup, else (KPIs
    written without a recorded run, e.g. restored from a backup) the newest snapshot."""
    at = last_successful_rollup_at()
    if at is None:
        at = KpiSnapshot.objects.aggregate(at=Max("computed_at"))["at"]
    return RollupInfo(at=at, stale=is_stale(at))


RECENT_FAILURES = 5
FAILURE_WINDOW = timedelta(days=7)


def _abandoned(run: RollupRun, now: datetime) -> bool:
    """Still "running" but its worker is gone: its run lock is free (`metrics.kpis.liveness`), or
    Celery's hard time limit has passed. The next rollup closes the row."""
    return is_abandoned(run, now)


def stale_reasons(now: datetime | None = None) -> list[str]:
    """Why the KPIs shown may be out of date (empty when they are fresh): no successful rollup
    within KPI_STALE_AFTER; record changes waiting longer than KPI_DIRTY_STALE_AFTER (the worker
    is not rolling them up); a run whose worker was lost. `/readyz` and `rollup_status --check`
    report these."""
    now = now or timezone.now()
    reasons = []
    if is_stale(last_successful_rollup_at(), now):
        reasons.append("no successful rollup within KPI_STALE_AFTER")
    oldest = DirtyRange.objects.aggregate(oldest=Min("created_at"))["oldest"]
    if oldest is not None and now - oldest > settings.KPI_DIRTY_STALE_AFTER:
        reasons.append("record changes waiting for a rollup longer than KPI_DIRTY_STALE_AFTER")
    if any(_abandoned(run, now) for run in RollupRun.objects.filter(status=RollupRun.Status.RUNNING)):
        reasons.append("a rollup run lost its worker")
    return reasons


def _run_facts(run: RollupRun | None, now: datetime) -> dict[str, Any] | None:
    if run is None:
        return None
    duration = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
    return {
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "status": "abandoned" if _abandoned(run, now) else run.status,
        "duration_seconds": round(duration, 1) if duration is not None else None,
        "snapshots_written": run.snapshots_written,
        "age_seconds": round((now - run.started_at).total_seconds()),
        "error": run.error.splitlines()[0][:300] if run.error else "",
    }


def rollup_status(now: datetime | None = None) -> dict[str, Any]:
    """The facts `rollup_status` prints, as a JSON-serialisable dict."""
    now = now or timezone.now()
    runs = RollupRun.objects.order_by("-started_at")
    last_success = last_successful_rollup_at()
    dirty = DirtyRange.objects.aggregate(count=Count("id"), oldest=Min("created_at"))
    failures = runs.filter(status=RollupRun.Status.FAILED)
    stale_after = settings.KPI_STALE_AFTER
    return {
        "now": now.isoformat(),
        "last_full": _run_facts(runs.filter(kind=RollupRun.Kind.FULL).first(), now),
        "last_incremental": _run_facts(runs.filter(kind=RollupRun.Kind.INCREMENTAL).first(), now),
        "running": [
            _run_facts(r, now) | {"kind": r.kind}
            for r in runs.filter(status=RollupRun.Status.RUNNING)
            if not _abandoned(r, now)
        ],
        "last_success_at": last_success.isoformat() if last_success else None,
        "stale": bool(reasons := stale_reasons(now)),
        "stale_reasons": reasons,
        "stale_after_seconds": round(stale_after.total_seconds()),
        "dirty_waiting": {
            "count": dirty["count"],
            "oldest": dirty["oldest"].isoformat() if dirty["oldest"] else None,
            "oldest_age_seconds": round((now - dirty["oldest"]).total_seconds()) if dirty["oldest"] else None,
        },
        "failures_last_7_days": failures.filter(started_at__gte=now - FAILURE_WINDOW).count(),
        "recent_failures": [_run_facts(r, now) | {"kind": r.kind} for r in failures[:RECENT_FAILURES]],
    }
