"""How honest numbers are judged on the pages: confidence intervals, low-confidence
marks, change against a reference, and target status. Pure functions, no queries."""

from __future__ import annotations

import math
from dataclasses import dataclass

from metrics.kpis.catalog import Kpi

# A value computed from fewer records than this is marked low-confidence.
LOW_CONFIDENCE_BELOW = 5

# KPI kinds (metrics.kpis.catalog.Kpi.kind) whose value is exact, not an estimate from a sample.
EXACT_KINDS = frozenset({"count", "per_week", "uptime"})

# Rate KPIs that are proportions (successes / trials): these get a Wilson interval.
PROPORTION_KPIS = frozenset({"escaped_defect_rate", "change_failure_rate", "csat_pct", "promise_kept_pct"})

Z_95 = 1.959963984540054

ON_TRACK = "on track"
AT_RISK = "at risk"
OFF_TRACK = "off track"


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
    if kpi.code not in PROPORTION_KPIS:
        return None
    return wilson_interval(value, sample_size)


def is_low_confidence(kpi: Kpi, value: float | None, sample_size: int) -> bool:
    """True when a value rests on fewer than LOW_CONFIDENCE_BELOW records.

    Counts, deploys per week (a count over the period's weeks) and uptime (measured over
    the whole period) are exact whatever their sample size, so they are never marked; every
    other kind (rates, means, medians, time allocations) estimates something from its
    `sample_size` records.
    """
    if kpi.kind in EXACT_KINDS or value is None:
        return False
    return sample_size < LOW_CONFIDENCE_BELOW


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
    if delta == 0:
        good = None
    else:
        good = (delta > 0) == kpi.higher_is_better
    return Change(delta=delta, pct=pct, good=good)


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


def status_class(status: str | None) -> str:
    """CSS class for a target status."""
    return {ON_TRACK: "good", AT_RISK: "warn", OFF_TRACK: "bad"}.get(status or "", "none")
