"""How numbers, periods and names read on the pages: units and the org's currency symbol,
periods as "Oct 2026" / "W40 2026" / "Q4 2026", short column headers, words instead of codes.
Presentation only: no queries, no KPI arithmetic."""

from __future__ import annotations

from datetime import date

from core.numbers import is_missing
from metrics.kpis.catalog import Kpi, currency_symbol, format_value

# Heatmap column headers: short enough for 20 KPI columns at 1440 px; the full label is the tooltip.
SHORT_LABELS = {
    "defects_found": "Defects",
    "escaped_defects": "Escaped",
    "escaped_defect_rate": "Escaped %",
    "customer_found_defects": "Cust. defects",
    "incidents": "Incid.",
    "major_incidents": "Major",
    "mttr_hours": "MTTR",
    "recovery_hours": "Recovery",
    "uptime_pct": "Uptime",
    "change_failure_rate": "CFR",
    "releases": "Releases",
    "deploys_per_week": "Deploys /wk",
    "lead_time_hours": "Lead time",
    "support_cost": "Support cost",
    "support_time_pct": "Support %",
    "feature_time_pct": "Feature %",
    "nps": "NPS",
    "csat_pct": "CSAT",
    "promise_kept_pct": "Promise",
    "survey_responses": "Resp.",
}

# Words for the codes records and surveys carry.
WORDS = {
    "rolled_back": "rolled back",
    "succeeded": "succeeded",
    "features": "Features",
    "quality": "Quality",
    "support": "Support",
    "onboarding": "Onboarding",
    "ktlo": "Keeping the lights on",
    "other": "Other",
}

GRAIN_WORDS = {"week": "week", "month": "month", "quarter": "quarter"}


def words(code: str) -> str:
    """A record or survey code as people read it (`rolled_back` → "rolled back")."""
    return WORDS.get(code, code.replace("_", " "))


def short_label(kpi: Kpi) -> str:
    return SHORT_LABELS.get(kpi.code, kpi.label)


def period_label(start: date | None, grain: str) -> str:
    """A period by its first day: "W40 2026" (ISO week), "Oct 2026", "Q4 2026"."""
    if start is None:
        return "–"
    if grain == "week":
        year, week, _ = start.isocalendar()
        return f"W{week:02d} {year}"
    if grain == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    return start.strftime("%b %Y")


def unit_text(kpi: Kpi) -> str:
    """The unit as a word people read beside a number or an axis ("€", "%", "hours", "NPS")."""
    if kpi.unit == "currency":
        return currency_symbol()
    if kpi.unit.startswith("score"):
        return "NPS (−100..100)"
    return kpi.unit


def format_compact(kpi: Kpi, value: float | None) -> str:
    """A value for a dense table cell (the heatmap): no spaces before units, thousands as k."""
    if is_missing(value):
        return "–"
    if kpi.unit == "currency":
        return f"{currency_symbol()}{value / 1000:.1f}k" if abs(value) >= 1000 else f"{currency_symbol()}{value:.0f}"
    if kpi.unit == "%":
        if kpi.code == "uptime_pct":
            return "100%" if value >= 100 else f"{value:.2f}%"
        return f"{value:.1f}%"
    if kpi.unit == "hours":
        return f"{value:.1f}h" if value < 100 else f"{value:.0f}h"
    return format_value(kpi, value)


def format_target(kpi: Kpi, target: float | None) -> str:
    """A target with its direction and unit: "≤ 12 %", "≥ +30", "≤ €40,000"."""
    if target is None:
        return "–"
    return f"{'≥' if kpi.higher_is_better else '≤'} {format_value(kpi, target)}"


def delta_digits(kpi: Kpi) -> int:
    """Decimals a change is shown with (a change that rounds to zero there is no change)."""
    return 2 if kpi.code == "uptime_pct" else kpi.unit_format.delta_digits
