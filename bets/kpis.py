"""The one door from this app to the KPI engine: catalog facts, periods and snapshot reads.

Everything the bets need from `metrics` passes through here, so the engine's layout can move
without touching the rest of the app. Nothing here computes a KPI: values come from the stored
snapshots.
"""

from __future__ import annotations

from metrics.kpis.catalog import CATALOG, KPIS, Kpi
from metrics.kpis.periods import next_period_start, period_start_for
from metrics.kpis.selectors import snapshot_frame, snapshot_queryset

__all__ = [
    "CATALOG",
    "KPIS",
    "Kpi",
    "bet_grain",
    "kpi_or_none",
    "next_period_start",
    "period_start_for",
    "snapshot_frame",
    "snapshot_queryset",
]


def kpi_or_none(code: str) -> Kpi | None:
    return CATALOG.get(code)


def bet_grain(kpi: Kpi) -> str:
    """A bet is judged by week, or by month for the KPIs that exist only by month."""
    return "week" if "week" in kpi.grains else "month"
