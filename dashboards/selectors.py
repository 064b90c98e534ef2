"""Reads for the dashboards: snapshot DataFrames, targets, baseline, rollup freshness,
and the records behind a number. Every read is a fixed number of queries whatever
the number of squads (tests/dashboards/test_query_counts.py holds us to it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
from django.conf import settings
from django.db.models import Avg, Count, F, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncQuarter, TruncWeek
from django.utils import timezone

from core.dates import day_bounds
from metrics.models import (
    Baseline,
    CustomerResponse,
    Defect,
    Incident,
    KpiSnapshot,
    Release,
    RollupRun,
    Target,
    TimeAllocation,
)
from metrics.records.models import PCT_FIELDS
from squads.models import Area, Squad

SNAPSHOT_COLUMNS = ["metric", "scope", "period_start", "value", "sample_size"]
RECORDS_LIMIT = 200


def area_choices() -> list[tuple[str, str]]:
    """(slug, name) of every area, for the area control and the navigation."""
    return [(slug, name or slug) for slug, name in Area.objects.values_list("slug", "name")]


def squads_for(area: str = "") -> list[Squad]:
    """Active squads, of one area when `area` is given, with their area loaded."""
    qs = Squad.objects.filter(active=True).select_related("area").order_by("name")
    if area:
        qs = qs.filter(area__slug=area)
    return list(qs)


@dataclass(frozen=True)
class RollupInfo:
    at: datetime | None
    stale: bool


def last_rollup() -> RollupInfo:
    """When the KPIs were last computed: the latest succeeded rollup run, else the newest snapshot."""
    at = (
        RollupRun.objects.filter(status=RollupRun.Status.SUCCEEDED)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    if at is None:
        at = KpiSnapshot.objects.aggregate(at=Max("computed_at"))["at"]
    stale = at is None or timezone.now() - at > settings.KPI_STALE_AFTER
    return RollupInfo(at=at, stale=stale)


def _frame(qs: QuerySet) -> pd.DataFrame:
    rows = list(qs.values_list(*SNAPSHOT_COLUMNS))
    frame = pd.DataFrame.from_records(rows, columns=SNAPSHOT_COLUMNS)
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
    [period_from, period_to], as one DataFrame with SNAPSHOT_COLUMNS — one query."""
    qs = KpiSnapshot.objects.filter(
        _scope_filter(list(scopes), squads), grain=grain, period_start__gte=period_from, period_start__lte=period_to
    )
    if metrics is not None:
        qs = qs.filter(metric__in=metrics)
    return _frame(qs.order_by())


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


_day_bounds = day_bounds


@dataclass(frozen=True)
class SquadRecords:
    releases: list[Release]
    incidents: list[Incident]
    defects: list[Defect]


def squad_records(squad: Squad, start: date, end: date) -> SquadRecords:
    """The records behind a squad's numbers for [start, end): releases by released_at, incidents
    started or resolved in it, defects by found_at. At most RECORDS_LIMIT of each kind."""
    lo, hi = _day_bounds(start, end)
    releases = Release.objects.filter(squad=squad, released_at__gte=lo, released_at__lt=hi).order_by("released_at")
    incidents = Incident.objects.filter(
        Q(started_at__gte=lo, started_at__lt=hi) | Q(resolved_at__gte=lo, resolved_at__lt=hi), squad=squad
    ).select_related("caused_by_release").order_by("started_at")
    defects = Defect.objects.filter(squad=squad, found_at__gte=lo, found_at__lt=hi).order_by("found_at")
    return SquadRecords(
        releases=list(releases[:RECORDS_LIMIT]),
        incidents=list(incidents[:RECORDS_LIMIT]),
        defects=list(defects[:RECORDS_LIMIT]),
    )


@dataclass(frozen=True)
class Markers:
    releases: list[tuple[datetime, str, str]]  # (released_at, version, status)
    incidents: list[tuple[datetime, int, str]]  # (started_at, severity, title)


def squad_markers(squad: Squad, start: date, end: date) -> Markers:
    """Release and incident times of a squad in [start, end), for the time axis of its trends."""
    lo, hi = _day_bounds(start, end)
    releases = Release.objects.filter(squad=squad, released_at__gte=lo, released_at__lt=hi).order_by("released_at")
    incidents = Incident.objects.filter(squad=squad, started_at__gte=lo, started_at__lt=hi).order_by("started_at")
    return Markers(
        releases=list(releases.values_list("released_at", "version", "status")[:2000]),
        incidents=list(incidents.values_list("started_at", "severity", "title")[:2000]),
    )


_TRUNC = {"week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter}


def _period_trunc(field: str, grain: str):  # type: ignore[no-untyped-def]
    return _TRUNC[grain](field, tzinfo=timezone.get_current_timezone())


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def top_problems(*, grain: str, start: date, end: date, area: str = "", limit: int = 8) -> pd.DataFrame:
    """Responses per (period_start, top_problem) in [start, end) for the `limit` most named themes
    over the whole range; columns period_start, top_problem, responses. Area: responses of its squads."""
    lo, hi = _day_bounds(start, end)
    qs = CustomerResponse.objects.filter(submitted_at__gte=lo, submitted_at__lt=hi).exclude(top_problem="")
    if area:
        qs = qs.filter(squad__area__slug=area)
    top = list(
        qs.order_by().values("top_problem").annotate(n=Count("id")).order_by("-n", "top_problem")
        .values_list("top_problem", flat=True)[:limit]
    )
    rows = (
        qs.filter(top_problem__in=top)
        .annotate(period=_period_trunc("submitted_at", grain))
        .order_by()
        .values("period", "top_problem")
        .annotate(responses=Count("id"))
    )
    frame = pd.DataFrame.from_records(
        [(_as_date(r["period"]), r["top_problem"], r["responses"]) for r in rows],
        columns=["period_start", "top_problem", "responses"],
    )
    frame.attrs["order"] = top
    return frame.sort_values(["period_start", "top_problem"]).reset_index(drop=True)


TIME_CATEGORIES = [name.removeprefix("pct_") for name in PCT_FIELDS]


def time_mix(*, start: date, end: date, area: str = "", squad: Squad | None = None) -> pd.DataFrame:
    """Headcount-weighted share of time per category and month in [start, end):
    Σ headcount × pct_<category> / Σ headcount (the weighting of the time-allocation KPIs),
    columns month, responses, headcount and one per category."""
    qs = TimeAllocation.objects.filter(month__gte=start, month__lt=end)
    if squad is not None:
        qs = qs.filter(squad=squad)
    elif area:
        qs = qs.filter(squad__area__slug=area)
    sums = {f"w_{name}": Sum(F("headcount") * F(f"pct_{name}")) for name in TIME_CATEGORIES}
    rows = (
        qs.order_by()
        .values("month")
        .annotate(responses=Count("id"), total_headcount=Sum("headcount"), **sums)
        .order_by("month")
    )
    records = []
    for row in rows:
        weight = row["total_headcount"] or 0
        shares = [float(row[f"w_{name}"]) / weight if weight else None for name in TIME_CATEGORIES]
        records.append([row["month"], row["responses"], weight, *shares])
    return pd.DataFrame.from_records(records, columns=["month", "responses", "headcount", *TIME_CATEGORIES])
