"""A bet's effect on each target KPI, read from the stored squad snapshots.

For each target KPI: the grain (week, or month for month-only KPIs), the windows (up to `window`
ended periods after the period holding the start, as many before it; that period itself in
neither), the per-period mean of the treatment squads' and of the comparison squads' snapshot
values, then `bets.estimator` for the difference in differences, its interval and verdict.

Computed on read, cached: the cache key holds the bet's last change, the day (periods end as
time passes) and a fingerprint of exactly the snapshots read (their count and latest
`computed_at`). A rollup that rewrites any of them changes the key, so the effect is recomputed
after every rollup that matters to it and never otherwise; the bootstrap is seeded by the bet
and KPI, so the same data always gives the same interval.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
from django.core.cache import cache
from django.db.models import Count, Max
from django.utils import timezone

from bets import estimator
from bets.kpis import bet_grain, kpi_or_none, next_period_start, period_start_for, snapshot_frame, snapshot_queryset
from bets.models import Bet

CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Windows:
    grain: str
    start_period: date
    before: list[date]
    after: list[date]
    ended_after: int  # periods ended after the start (capped by the bet's end), before capping by window


def windows_for(*, grain: str, start: date, window: int, end: date | None, today: date) -> Windows:
    """Equal windows of ended periods either side of the period holding `start`."""
    start_period = period_start_for(grain, start)
    after: list[date] = []
    current = next_period_start(grain, start_period)
    while True:
        following = next_period_start(grain, current)
        if following > today:  # not ended yet
            break
        if end is not None and following > end + timedelta(days=1):
            break  # runs past the bet's end
        after.append(current)
        current = following
    ended = len(after)
    size = min(window, ended)
    after = after[:size]
    before: list[date] = []
    current = start_period
    for _ in range(size):
        current = period_start_for(grain, current - timedelta(days=1))
        before.insert(0, current)
    return Windows(grain, start_period, before, after, ended)


@dataclass
class KpiEffect:
    metric: str
    label: str
    unit: str
    grain: str
    direction: str  # the direction the bet expects
    higher_is_better: bool
    effect: estimator.Effect
    windows: Windows
    records: int  # Σ sample_size of the snapshots behind the estimate
    series: pd.DataFrame = field(repr=False)  # period_start, treatment, comparison (per-period means)

    @property
    def as_expected(self) -> bool | None:
        """Did the estimate move the way the bet expected (None without an estimate)?"""
        if self.effect.estimate is None:
            return None
        return (self.effect.estimate > 0) == (self.direction == "higher")

    def as_api(self) -> dict:
        e = self.effect
        return {
            "metric": self.metric,
            "grain": self.grain,
            "estimate": _round(e.estimate),
            "interval": [_round(e.low), _round(e.high)],
            "verdict": e.verdict,
            "periods_before": e.periods_before,
            "periods_after": e.periods_after,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def seed_for(bet_id: int, metric: str) -> int:
    """A stable seed per bet and KPI (not Python's salted hash)."""
    return zlib.crc32(f"{bet_id}:{metric}".encode())


def _scopes(slugs: list[str]) -> list[str]:
    return [f"squad:{slug}" for slug in slugs]


def per_period_means(
    frame: pd.DataFrame, treatment: list[str], comparison: list[str], periods: list[date]
) -> pd.DataFrame:
    """period_start, treatment, comparison: the mean of each side's squads' non-null values per period."""
    out = pd.DataFrame({"period_start": periods})
    for side, scopes in (("treatment", treatment), ("comparison", comparison)):
        rows = frame[frame["scope"].isin(scopes)]
        means = rows.groupby("period_start")["value"].mean()
        out[side] = [means.get(p, float("nan")) for p in periods]
    return out


def _records(frame: pd.DataFrame, series: pd.DataFrame, periods: list[date]) -> int:
    """Records behind the estimate: sample sizes of the snapshots in the periods both sides had a value."""
    used = series.dropna(subset=["treatment", "comparison"])
    keep = set(used["period_start"]) & set(periods)
    return int(frame[frame["period_start"].isin(keep) & frame["value"].notna()]["sample_size"].sum())


def compute_effect(
    bet: Bet,
    metric: str,
    direction: str,
    treatment: list[str],
    comparison: list[str],
    *,
    today: date,
    frame: pd.DataFrame | None = None,
) -> KpiEffect | None:
    """The effect of `bet` on one KPI (None for a code no longer in the catalog)."""
    kpi = kpi_or_none(metric)
    if kpi is None:
        return None
    grain = bet_grain(kpi)
    win = windows_for(grain=grain, start=bet.start, window=bet.window, end=bet.end, today=today)
    periods = win.before + win.after
    if frame is None:
        frame = _frame([metric], treatment + comparison, grain, periods)
    frame = frame[frame["metric"] == metric]
    series = per_period_means(frame, _scopes(treatment), _scopes(comparison), periods)
    n = len(win.before)
    effect = estimator.estimate_effect(
        treatment_before=list(series["treatment"][:n]),
        comparison_before=list(series["comparison"][:n]),
        treatment_after=list(series["treatment"][n:]),
        comparison_after=list(series["comparison"][n:]),
        higher_is_better=kpi.higher_is_better,
        seed=seed_for(bet.pk, metric),
        ended_after=win.ended_after,
    )
    return KpiEffect(
        metric,
        kpi.label,
        kpi.unit,
        grain,
        direction,
        kpi.higher_is_better,
        effect,
        win,
        _records(frame, series, periods),
        series,
    )


def _frame(metrics: list[str], slugs: list[str], grain: str, periods: list[date]) -> pd.DataFrame:
    if not periods:
        return pd.DataFrame(columns=["metric", "scope", "period_start", "value", "sample_size"])
    return snapshot_frame(
        grain=grain, period_from=periods[0], period_to=periods[-1], scopes=_scopes(slugs), metrics=metrics
    )


@dataclass(frozen=True)
class _Plan:
    grain: str
    metrics: list[tuple[str, str]]  # (metric, expected direction)
    windows: Windows


def _plans(bet: Bet, targets: list[tuple[str, str]], today: date) -> list[_Plan]:
    by_grain: dict[str, list[tuple[str, str]]] = {}
    for metric, direction in targets:
        kpi = kpi_or_none(metric)
        if kpi is not None:
            by_grain.setdefault(bet_grain(kpi), []).append((metric, direction))
    return [
        _Plan(grain, members, windows_for(grain=grain, start=bet.start, window=bet.window, end=bet.end, today=today))
        for grain, members in sorted(by_grain.items())
    ]


def _fingerprint(plans: list[_Plan], slugs: list[str]) -> str:
    """Count and latest `computed_at` of exactly the snapshots the plans read: one query."""
    combined = None
    for plan in plans:
        periods = plan.windows.before + plan.windows.after
        if not periods:
            continue
        qs = snapshot_queryset(
            metric=[m for m, _ in plan.metrics],
            scope=_scopes(slugs),
            grain=plan.grain,
            date_from=periods[0],
            date_to=periods[-1],
        ).order_by()
        combined = qs if combined is None else combined | qs
    if combined is None:
        return "none"
    agg = combined.aggregate(n=Count("id"), at=Max("computed_at"))
    return f"{agg['n']}@{agg['at'].isoformat() if agg['at'] else '-'}"


def _compute(
    bet: Bet, plans: list[_Plan], treatment: list[str], comparison: list[str], today: date
) -> dict[str, KpiEffect]:
    results: dict[str, KpiEffect] = {}
    for plan in plans:
        periods = plan.windows.before + plan.windows.after
        frame = _frame([m for m, _ in plan.metrics], treatment + comparison, plan.grain, periods)
        for metric, direction in plan.metrics:
            effect = compute_effect(bet, metric, direction, treatment, comparison, today=today, frame=frame)
            if effect is not None:
                results[metric] = effect
    return results


def bet_effects(bet: Bet, *, today: date | None = None, use_cache: bool = True) -> list[KpiEffect]:
    """The effect on each of the bet's target KPIs, in the order the targets were named."""
    today = today or timezone.now().date()
    # .all(): uses the lists `selectors.bets_queryset` prefetched, one query each otherwise
    treatment = sorted(s.slug for s in bet.treatment_squads.all())
    comparison = sorted(s.slug for s in bet.comparison_squads.all())
    targets = [(t.metric, t.direction) for t in sorted(bet.targets.all(), key=lambda t: t.pk)]
    plans = _plans(bet, targets, today)
    if use_cache:
        raw = "|".join(
            [
                str(bet.pk),
                bet.updated_at.isoformat(),
                today.isoformat(),
                repr([(p.grain, p.metrics) for p in plans]),
                repr(treatment),
                repr(comparison),
                _fingerprint(plans, treatment + comparison),
            ]
        )
        key = "bets:effects:" + hashlib.sha256(raw.encode()).hexdigest()
        results = cache.get(key)
        if results is None:
            results = _compute(bet, plans, treatment, comparison, today)
            cache.set(key, results, CACHE_SECONDS)
    else:
        results = _compute(bet, plans, treatment, comparison, today)
    return [results[m] for m, _ in targets if m in results]


def headline_verdict(effects: list[KpiEffect]) -> str | None:
    """One chip for a list: the verdicts' summary (mixed when KPIs disagree)."""
    verdicts = {e.effect.verdict for e in effects}
    if not verdicts:
        return None
    if len(verdicts) == 1:
        return verdicts.pop()
    decided = verdicts - {estimator.NO_CLEAR_EFFECT, estimator.TOO_EARLY}
    if len(decided) == 1:
        return decided.pop()
    return "mixed" if decided else estimator.NO_CLEAR_EFFECT
