"""The KPI catalog: the one registry of docs/kpis.md.

Every other part — rollup, API, export, pages — reads KPI metadata from here.
`compute` names the formula in `metrics.kpis.formulas`; nothing else spells a formula.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.numbers import is_missing
from metrics.kpis.periods import GRAINS, MONTHLY_GRAINS


class Family(StrEnum):
    QUALITY = "quality"
    STABILITY = "stability"
    VELOCITY = "velocity"
    SUPPORT = "support"
    CUSTOMER = "customer"


class Direction(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"


#: A value computed from fewer records than this is "low confidence" (pages mark it).
LOW_CONFIDENCE_BELOW = 5

#: KPI kinds whose value is exact, not an estimate from a sample: counts, deploys per week (a
#: count over the period's weeks) and uptime (measured over the whole period). Every other kind
#: (rates, means, medians, time allocations) estimates something from its `sample_size` records.
EXACT_KINDS = frozenset({"count", "per_week", "uptime"})

#: Rate KPIs that are proportions (successes / trials): pages give them a Wilson interval.
PROPORTION_KPIS = frozenset({"escaped_defect_rate", "change_failure_rate", "csat_pct", "promise_kept_pct"})

#: The customer-voice KPIs, in the order the customers page shows them.
CUSTOMER_KPIS = ("nps", "csat_pct", "promise_kept_pct", "survey_responses")


@dataclass(frozen=True)
class UnitFormat:
    """How values of a unit are written on pages: the value, its change, and its chart axis."""

    value_spec: str  # format spec of a value, e.g. ",.0f"
    value_suffix: str  # e.g. " %"
    delta_digits: int  # decimals of an absolute change
    delta_suffix: str  # e.g. " pp" (percentage points)
    relative_change: bool  # also show the change in % of the reference
    signed: bool = False  # values may be negative: the chart axis does not start at zero


UNIT_FORMATS: dict[str, UnitFormat] = {
    "count": UnitFormat(",.0f", "", 0, "", True),
    "%": UnitFormat(".1f", " %", 1, " pp", False),
    "hours": UnitFormat(".1f", " h", 1, " h", True),
    "currency": UnitFormat(",.0f", "", 0, "", True),
    "score −100..100": UnitFormat("+.0f", "", 0, "", True, signed=True),
    "per week": UnitFormat(".2f", "", 2, "", True),
}


@dataclass(frozen=True)
class Kpi:
    code: str
    family: Family
    label: str
    unit: str
    direction: Direction
    definition: str
    kind: str  # "count", "rate", "mean", "median", ... — what sample_size means
    grains: tuple[str, ...] = GRAINS

    @property
    def higher_is_better(self) -> bool:
        return self.direction is Direction.HIGHER

    @property
    def is_proportion(self) -> bool:
        """A proportion (successes / trials), whose uncertainty is a Wilson interval."""
        return self.code in PROPORTION_KPIS

    @property
    def confidence_floor(self) -> int:
        """The sample size below which a value of this KPI is low confidence (0: exact, never)."""
        return 0 if self.kind in EXACT_KINDS else LOW_CONFIDENCE_BELOW

    def is_low_confidence(self, value: float | None, sample_size: int) -> bool:
        """True when a value rests on fewer records than the KPI's confidence floor."""
        return value is not None and sample_size < self.confidence_floor

    @property
    def unit_format(self) -> UnitFormat:
        return UNIT_FORMATS[self.unit]

    @property
    def compute(self):
        """The formula (`metrics.kpis.formulas.FORMULAS[code]`) the rollup runs for this KPI."""
        from metrics.kpis.formulas import FORMULAS

        return FORMULAS[self.code]


KPIS: tuple[Kpi, ...] = (
    Kpi(
        "defects_found",
        Family.QUALITY,
        "Defects found",
        "count",
        Direction.LOWER,
        "Defects with found_at in the period.",
        "count",
    ),
    Kpi(
        "escaped_defects",
        Family.QUALITY,
        "Escaped defects",
        "count",
        Direction.LOWER,
        "Defects with found_at in the period and found_in = production.",
        "count",
    ),
    Kpi(
        "escaped_defect_rate",
        Family.QUALITY,
        "Escaped defect rate",
        "%",
        Direction.LOWER,
        "100 × escaped defects / defects found, by found_at in the period.",
        "rate",
    ),
    Kpi(
        "customer_found_defects",
        Family.QUALITY,
        "Customer-found defects",
        "count",
        Direction.LOWER,
        "Defects with found_at in the period and found_by = customer.",
        "count",
    ),
    Kpi(
        "incidents",
        Family.STABILITY,
        "Incidents",
        "count",
        Direction.LOWER,
        "Incidents with started_at in the period.",
        "count",
    ),
    Kpi(
        "major_incidents",
        Family.STABILITY,
        "Major incidents",
        "count",
        Direction.LOWER,
        "Incidents with started_at in the period and severity 1 or 2.",
        "count",
    ),
    Kpi(
        "mttr_hours",
        Family.STABILITY,
        "Mean time to restore",
        "hours",
        Direction.LOWER,
        "Mean of resolved_at − started_at over incidents with resolved_at in the period.",
        "mean",
    ),
    Kpi(
        "recovery_hours",
        Family.STABILITY,
        "Failed-deployment recovery time",
        "hours",
        Direction.LOWER,
        "Median of resolved_at − released_at of the release named by caused_by_release, over incidents "
        "with resolved_at in the period that name a release (DORA).",
        "median",
    ),
    Kpi(
        "uptime_pct",
        Family.STABILITY,
        "Uptime",
        "%",
        Direction.HIGHER,
        "100 × (1 − D / L): L is the period's length (to now for the current period), D the length of the "
        "union of [started_at, resolved_at) of customer-impacting incidents, clipped to the period; an open "
        "incident runs to the end of the period or to now.",
        "uptime",
    ),
    Kpi(
        "change_failure_rate",
        Family.STABILITY,
        "Change failure rate",
        "%",
        Direction.LOWER,
        "100 × failed / all releases with released_at in the period; failed = rolled back, or named by "
        "at least one incident's caused_by_release.",
        "rate",
    ),
    Kpi(
        "releases",
        Family.VELOCITY,
        "Releases",
        "count",
        Direction.HIGHER,
        "Releases with released_at in the period.",
        "count",
    ),
    Kpi(
        "deploys_per_week",
        Family.VELOCITY,
        "Deploys per week",
        "per week",
        Direction.HIGHER,
        "Releases / (days in the period / 7).",
        "per_week",
    ),
    Kpi(
        "lead_time_hours",
        Family.VELOCITY,
        "Lead time for changes",
        "hours",
        Direction.LOWER,
        "Median of released_at − first_commit_at over releases with released_at in the period that have "
        "first_commit_at.",
        "median",
    ),
    Kpi(
        "change_lead_time_hours",
        Family.VELOCITY,
        "Lead time per change",
        "hours",
        Direction.LOWER,
        "Median of released_at − first_commit_at over the changes of releases with released_at in the period "
        "(DORA's lead time for changes, per change; sample size = changes).",
        "median",
    ),
    Kpi(
        "support_cost",
        Family.SUPPORT,
        "Support cost",
        "currency",
        Direction.LOWER,
        "Σ headcount × monthly cost per head of the squad × pct_support / 100, over time allocations with "
        "month in the period.",
        "allocation",
        MONTHLY_GRAINS,
    ),
    Kpi(
        "support_time_pct",
        Family.SUPPORT,
        "Time on support",
        "%",
        Direction.LOWER,
        "Σ headcount × pct_support / Σ headcount, over time allocations with month in the period.",
        "allocation",
        MONTHLY_GRAINS,
    ),
    Kpi(
        "feature_time_pct",
        Family.VELOCITY,
        "Time on features",
        "%",
        Direction.HIGHER,
        "Σ headcount × pct_features / Σ headcount, over time allocations with month in the period.",
        "allocation",
        MONTHLY_GRAINS,
    ),
    Kpi(
        "nps",
        Family.CUSTOMER,
        "Net Promoter Score",
        "score −100..100",
        Direction.HIGHER,
        "100 × (promoters − detractors) / answered, over responses with submitted_at in the period and an "
        "nps_score; promoter 9–10, detractor 0–6.",
        "rate",
    ),
    Kpi(
        "csat_pct",
        Family.CUSTOMER,
        "Customer satisfaction",
        "%",
        Direction.HIGHER,
        "100 × responses with csat_score ≥ 4 / responses with a csat_score.",
        "rate",
    ),
    Kpi(
        "promise_kept_pct",
        Family.CUSTOMER,
        "Promise kept",
        "%",
        Direction.HIGHER,
        "100 × responses with outcome_score ≥ 4 / responses with an outcome_score (the product makes the "
        "customer's business more profitable or efficient).",
        "rate",
    ),
    Kpi(
        "survey_responses",
        Family.CUSTOMER,
        "Survey responses",
        "count",
        Direction.HIGHER,
        "Customer responses with submitted_at in the period.",
        "count",
    ),
)

CATALOG: dict[str, Kpi] = {kpi.code: kpi for kpi in KPIS}


def get_kpi(code: str) -> Kpi:
    """The KPI with this code; KeyError names the unknown code."""
    try:
        return CATALOG[code]
    except KeyError:
        raise KeyError(f"unknown KPI {code!r}") from None


def kpis_for_grain(grain: str) -> list[Kpi]:
    return [kpi for kpi in KPIS if grain in kpi.grains]


# DORA 2023 State of DevOps performance levels, one table for every page.
# Each entry: (level, test on the value). Deploy frequency is expressed per week.
DORA_LEVELS = ("elite", "high", "medium", "low")
DORA_THRESHOLDS: dict[str, list[tuple[str, float]]] = {
    # deploys per week: elite on demand (multiple per day ≈ ≥ 7/week), high daily–weekly (≥ 1/week),
    # medium weekly–monthly (≥ 1/month ≈ 0.23/week), low below.
    "deploys_per_week": [("elite", 7.0), ("high", 1.0), ("medium", 12 / 52), ("low", 0.0)],
    # lead time in hours: elite < 1 day, high 1 day–1 week, medium 1 week–1 month, low above.
    "lead_time_hours": [("elite", 24.0), ("high", 168.0), ("medium", 730.0), ("low", float("inf"))],
    # lead time per change: the same thresholds (DORA's own definition is per change).
    "change_lead_time_hours": [("elite", 24.0), ("high", 168.0), ("medium", 730.0), ("low", float("inf"))],
    # change failure rate in %: elite ≤ 5, high ≤ 10, medium ≤ 15, low above (2023 report).
    "change_failure_rate": [("elite", 5.0), ("high", 10.0), ("medium", 15.0), ("low", 100.0)],
    # failed deployment recovery time in hours: elite < 1 hour, high < 1 day, medium < 1 week, low above.
    "recovery_hours": [("elite", 1.0), ("high", 24.0), ("medium", 168.0), ("low", float("inf"))],
}


def dora_level(code: str, value: float | None) -> str | None:
    """The DORA 2023 level a value reaches, or None where DORA publishes none."""
    if value is None or code not in DORA_THRESHOLDS:
        return None
    higher_is_better = CATALOG[code].higher_is_better
    for level, bound in DORA_THRESHOLDS[code]:
        if (value >= bound) if higher_is_better else (value <= bound):
            return level
    return "low"


def currency_symbol() -> str:
    """The org's currency symbol (setting `CURRENCY_SYMBOL`)."""
    from django.conf import settings

    return getattr(settings, "CURRENCY_SYMBOL", "€")


def format_value(kpi: Kpi, value: float | None) -> str:
    """A KPI value as every page, review and e-mail shows it: in the KPI's unit format, money
    with the org's currency symbol."""
    if is_missing(value):
        return "–"
    if kpi.unit == "currency":
        return f"{currency_symbol()}{value:,.0f}"
    if kpi.code == "uptime_pct" and value < 100:
        return f"{value:.2f} %"  # uptime lives in the last decimals: 99.95 % must not read as 100.0 %
    unit = kpi.unit_format
    return f"{value:{unit.value_spec}}{unit.value_suffix}"
