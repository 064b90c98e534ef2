"""Reads of stored KPI snapshots for pages, API and export."""

from __future__ import annotations

from datetime import date

import pandas as pd
from django.db.models import QuerySet

from metrics.models import KpiSnapshot

SNAPSHOT_COLUMNS = ["metric", "scope", "grain", "period_start", "value", "sample_size"]


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


def snapshot_frame(
    *,
    metric: str | list[str] | None = None,
    scope: str | list[str] | None = None,
    grain: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> pd.DataFrame:
    """The same snapshots as a DataFrame with columns metric, scope, grain, period_start (date),
    value (float, NaN for null), sample_size, computed_at."""
    rows = snapshot_queryset(metric=metric, scope=scope, grain=grain, date_from=date_from, date_to=date_to).values_list(
        *SNAPSHOT_COLUMNS, "computed_at"
    )
    frame = pd.DataFrame.from_records(list(rows), columns=[*SNAPSHOT_COLUMNS, "computed_at"])
    frame["value"] = frame["value"].astype(float)
    frame["sample_size"] = frame["sample_size"].astype("int64")
    return frame
