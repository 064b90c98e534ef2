"""KPI values as reviews, alerts and e-mails print them: the catalog's format, by KPI code."""

from __future__ import annotations

from metrics.kpis.catalog import CATALOG
from metrics.kpis.catalog import format_value as format_kpi_value


def format_value(metric: str, value: float | None) -> str:
    kpi = CATALOG.get(metric)
    if kpi is None:  # a rule or review naming a KPI the catalog no longer has
        return "–" if value is None else f"{value:.2f}"
    return format_kpi_value(kpi, value)
