"""Demo targets and baseline, so the demo's tiles show target status and change vs baseline."""

from __future__ import annotations

from datetime import date, timedelta

from metrics.kpis.catalog import CATALOG
from metrics.kpis.models import Baseline, Target
from squads.models import Squad

#: Org-wide defaults for rate-like KPIs (counts depend on a scope's size, so they get
#: none): code -> (target, at-risk margin in % of the target).
DEMO_TARGETS: dict[str, tuple[float, float]] = {
    "change_failure_rate": (5.0, 10.0),
    "lead_time_hours": (24.0, 10.0),
    "uptime_pct": (99.5, 0.3),
    "mttr_hours": (12.0, 10.0),
    "escaped_defect_rate": (25.0, 10.0),
    "nps": (30.0, 10.0),
    "csat_pct": (85.0, 5.0),
    "promise_kept_pct": (75.0, 5.0),
    "support_time_pct": (15.0, 10.0),
    "feature_time_pct": (50.0, 10.0),
}
#: A stricter uptime for one squad (the demo PM's), to show a squad override.
SQUAD_UPTIME_TARGET = (99.9, 0.2)


def _first_quarter_from(day: date) -> date:
    """The first day of the first calendar quarter starting on or after `day`."""
    index = day.year * 4 + (day.month - 1) // 3 + (0 if day.day == 1 and day.month % 3 == 1 else 1)
    return date(index // 4, 3 * (index % 4) + 1, 1)


def create_demo_targets(*, start: date, squad: Squad | None) -> dict[str, int]:
    """Org targets, an uptime override for `squad`, and an active baseline: the first
    two full calendar quarters on or after `start`."""
    unknown = set(DEMO_TARGETS) - set(CATALOG)
    if unknown:
        raise ValueError(f"demo targets name unknown KPIs: {sorted(unknown)}")
    targets = [
        Target(metric=code, value=value, at_risk_margin_pct=margin) for code, (value, margin) in DEMO_TARGETS.items()
    ]
    if squad is not None:
        value, margin = SQUAD_UPTIME_TARGET
        targets.append(Target(metric="uptime_pct", squad=squad, value=value, at_risk_margin_pct=margin))
    Target.objects.bulk_create(targets)
    first = _first_quarter_from(start)
    second = _first_quarter_from(first + timedelta(days=1))
    end = _first_quarter_from(second + timedelta(days=1)) - timedelta(days=1)
    Baseline.objects.create(name=f"First half-year ({first:%b %Y}–{end:%b %Y})", start=first, end=end, active=True)
    return {"targets": len(targets), "baselines": 1}
