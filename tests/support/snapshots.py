"""Build the KPI store directly, like a finished rollup: for page and query-count tests."""

from __future__ import annotations

import datetime as dt

from metrics.models import KpiSnapshot

COMPUTED_AT = dt.datetime(2025, 7, 1, 6, 0, tzinfo=dt.UTC)


def snap(metric: str, scope: str, period: str, value: float | None, n: int, grain: str = "month") -> KpiSnapshot:
    """Store one snapshot row."""
    return KpiSnapshot.objects.create(
        metric=metric,
        scope=scope,
        grain=grain,
        period_start=dt.date.fromisoformat(period),
        value=value,
        sample_size=n,
        computed_at=COMPUTED_AT,
    )
