"""KPI values as reviews, alerts and e-mails print them, in the KPI's unit."""

from __future__ import annotations

import math

from reviews import kpi_reads


def format_value(metric: str, value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    kpi = kpi_reads.CATALOG.get(metric)
    unit = kpi.unit if kpi else ""
    if unit in {"count", "currency"}:
        return f"{value:,.0f}"
    if unit == "%":
        return f"{value:.1f} %"
    if unit == "hours":
        return f"{value:.1f} h"
    if unit.startswith("score"):
        return f"{value:+.0f}"
    return f"{value:.2f}"
