"""How honest numbers are shown on the pages: confidence intervals, change against a
reference, and the CSS class of a target status. Pure functions, no queries. The KPI facts
they rest on (which KPIs are proportions, each KPI's confidence floor) live in the catalog;
target status in `metrics.kpis.selectors`."""

from __future__ import annotations

import math
from dataclasses import dataclass

from metrics.kpis.catalog import Kpi
from metrics.kpis.selectors import AT_RISK, OFF_TRACK, ON_TRACK

Z_95 = 1.959963984540054


def wilson_interval(pct: float | None, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """Wilson score interval, in percent, for a proportion given in percent over `n` trials.

    None when there is no value or no trials. Wilson (not the normal approximation)
    because small squads have small n and proportions near 0 or 100 %.
    """
    if pct is None or n <= 0:
        return None
    p = pct / 100.0
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half) * 100.0, min(1.0, centre + half) * 100.0)


def kpi_interval(kpi: Kpi, value: float | None, sample_size: int) -> tuple[float, float] | None:
    """The 95 % interval shown for a KPI value, where one applies (proportion KPIs only)."""
    if not kpi.is_proportion:
        return None
    return wilson_interval(value, sample_size)


@dataclass(frozen=True)
class Change:
    """A value's change against a reference: absolute delta, relative %, and whether it is good."""

    delta: float
    pct: float | None
    good: bool | None  # None when unchanged

    @property
    def arrow(self) -> str:
        return "▲" if self.delta > 0 else "▼" if self.delta < 0 else "="


def change(kpi: Kpi, value: float | None, reference: float | None) -> Change | None:
    """Change of `value` against `reference`, judged by the KPI's direction; None if either is missing."""
    if value is None or reference is None:
        return None
    delta = value - reference
    pct = None if reference == 0 else 100.0 * delta / abs(reference)
    good = None if delta == 0 else (delta > 0) == kpi.higher_is_better
    return Change(delta=delta, pct=pct, good=good)


def status_class(status: str | None) -> str:
    """CSS class for a target status."""
    return {ON_TRACK: "good", AT_RISK: "warn", OFF_TRACK: "bad"}.get(status or "", "none")
