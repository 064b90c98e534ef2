"""The one door from reviews and alerts to the KPI engine's stored numbers.

Reviews, alerts, digests and chart annotations never compute a KPI: they read the
snapshots the rollup stored, and judge them (target status, baseline, confidence)
with the engine's own rules. Every such read goes through this module, so the rest
of the two apps does not care where in the engine those rules live.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Q
from django.db.models.signals import post_save

from metrics.kpis import selectors as kpi_selectors
from metrics.kpis.catalog import CATALOG, Kpi, kpis_for_grain
from metrics.kpis.periods import period_start_for
from metrics.models import RollupRun

__all__ = [
    "CATALOG",
    "KpiValue",
    "Kpi",
    "baseline_values",
    "confidence_floor",
    "is_confident",
    "kpis_for_grain",
    "latest_complete_period",
    "period_start_for",
    "previous_period_start",
    "snapshot_values",
    "statuses_and_targets",
    "target_statuses",
    "on_rollup_finished",
]

ON_TRACK = kpi_selectors.ON_TRACK
AT_RISK = kpi_selectors.AT_RISK
OFF_TRACK = kpi_selectors.OFF_TRACK


@dataclass(frozen=True)
class KpiValue:
    """One stored snapshot."""

    metric: str
    scope: str
    grain: str
    period_start: date
    value: float | None
    sample_size: int


def previous_period_start(grain: str, period_start: date) -> date:
    return period_start_for(grain, period_start - timedelta(days=1))


def latest_complete_period(grain: str, today: date) -> date:
    """The last period of `grain` that ended before `today`."""
    return previous_period_start(grain, period_start_for(grain, today))


def snapshot_values(
    *,
    grain: str,
    periods: Iterable[date],
    metrics: Iterable[str] | None = None,
    scopes: Iterable[str] | None = None,
    squads: bool = False,
) -> dict[tuple[str, str, date], KpiValue]:
    """(metric, scope, period_start) → stored snapshot, for the given periods (one query).
    `squads=True` adds every `squad:*` scope to `scopes`."""
    qs = kpi_selectors.snapshot_queryset(grain=grain, metric=list(metrics) if metrics is not None else None)
    qs = qs.filter(period_start__in=list(periods))
    if metrics is not None and not list(metrics):
        return {}
    if scopes is not None or squads:
        wanted = Q(scope__in=list(scopes or []))
        if squads:
            wanted |= Q(scope__startswith="squad:")
        qs = qs.filter(wanted)
    rows = qs.order_by().values_list("metric", "scope", "period_start", "value", "sample_size")
    return {
        (metric, scope, period): KpiValue(metric, scope, grain, period, value, int(size))
        for metric, scope, period, value, size in rows
    }


def statuses_and_targets(*, scope: str, values: dict[str, float | None]) -> dict[str, tuple[str | None, float | None]]:
    """metric → (target status of its value in `scope`, the target it was judged against)."""
    judged = target_statuses({(metric, scope): value for metric, value in values.items()})
    return {metric: judged[(metric, scope)] for metric in values}


def target_statuses(
    values: dict[tuple[str, str], float | None],
) -> dict[tuple[str, str], tuple[str | None, float | None]]:
    """(metric, scope) → (status, target): on track, at risk or off track against the target in force
    for that scope (a squad's own target wins over the org default); (None, None) without a target,
    (None, target) without a value. One query whatever the number of values."""
    rules = kpi_selectors.targets()
    out: dict[tuple[str, str], tuple[str | None, float | None]] = {}
    for (metric, scope), value in values.items():
        squad = scope.removeprefix("squad:") if scope.startswith("squad:") else None
        rule = kpi_selectors.target_for(rules, metric, squad)
        if rule is None:
            out[(metric, scope)] = (None, None)
            continue
        out[(metric, scope)] = (
            kpi_selectors.target_status(CATALOG[metric], value, rule.value, rule.margin_pct),
            rule.value,
        )
    return out


def baseline_values(*, grain: str, scope: str, metrics: Iterable[str]) -> dict[str, float]:
    """metric → the scope's baseline value at this grain (absent where there is none)."""
    means = kpi_selectors.baseline_means(kpi_selectors.active_baseline(), grain=grain, scopes=[scope])
    wanted = set(metrics)
    return {metric: mean for (metric, _), mean in means.items() if metric in wanted}


def confidence_floor(metric: str) -> int:
    """The fewest records a value of this KPI may rest on before it counts as low-confidence."""
    return CATALOG[metric].confidence_floor


def is_confident(metric: str, value: float | None, sample_size: int) -> bool:
    """A value that exists and rests on at least the KPI's confidence floor."""
    return value is not None and sample_size >= confidence_floor(metric)


def on_rollup_finished(receiver: Callable[..., None], *, dispatch_uid: str) -> None:
    """Call `receiver(kind=..., now=...)` each time a rollup (incremental, full, or a unit of one) has written
    its snapshots and succeeded. The engine records every run; a run marked succeeded is the signal,
    so the engine needs to know nothing of who listens. `now` is the time the rollup computed for."""

    def _finished(sender: type, instance: RollupRun, created: bool, update_fields: Any = None, **kwargs: Any) -> None:
        if not created and instance.status == RollupRun.Status.SUCCEEDED:
            receiver(kind=instance.kind, now=instance.started_at)

    post_save.connect(_finished, sender=RollupRun, weak=False, dispatch_uid=dispatch_uid)
