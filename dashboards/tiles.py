"""Page building blocks made from snapshot DataFrames: KPI tiles and the squads × KPIs
heatmap. Reads nothing; the views pass in what the selectors returned."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

import pandas as pd

from core.numbers import number_or_none
from dashboards import stats
from dashboards.charts import sparkline_points
from dashboards.formatting import currency_symbol, delta_digits, format_compact, format_target, format_value
from metrics.kpis.catalog import Kpi, dora_level
from metrics.kpis.selectors import TargetRule, target_for, target_status


def format_delta(kpi: Kpi, change: stats.Change | None) -> str:
    if change is None:
        return "–"
    if change.delta == 0:
        return "= no change"
    unit = kpi.unit_format
    amount = f"{abs(change.delta):,.{delta_digits(kpi)}f}"
    if kpi.unit == "currency":
        amount = currency_symbol() + amount
    text = f"{change.arrow} {amount}{unit.delta_suffix}"
    if change.pct is not None and unit.relative_change:
        text += f" ({change.pct:+.0f} %)".replace("-", "−")
    return text


def shown_change(kpi: Kpi, value: float | None, reference: float | None) -> stats.Change | None:
    """The change against a reference as the page shows it: one that rounds to zero at the
    precision shown is no change (neither green nor red)."""
    change = stats.change(kpi, value, reference)
    if change is None or round(change.delta, delta_digits(kpi)) != 0:
        return change
    return stats.Change(delta=0.0, pct=0.0 if change.pct is not None else None, good=None)


clean_number = number_or_none


def by_metric(frame: pd.DataFrame, scope: str | None = None) -> dict[str, pd.DataFrame]:
    """Each KPI's rows (of one scope, when given), ordered by period — one pass over the frame."""
    rows = frame if scope is None else frame[frame["scope"] == scope]
    return {str(metric): group for metric, group in rows.sort_values("period_start").groupby("metric", sort=False)}


def series(frame: pd.DataFrame, metric: str, scope: str) -> pd.DataFrame:
    """One KPI's rows for one scope, ordered by period."""
    rows = frame[(frame["metric"] == metric) & (frame["scope"] == scope)]
    return rows.sort_values("period_start")


def rows_of(index: dict[str, pd.DataFrame], metric: str) -> pd.DataFrame:
    """The rows of `metric` from a `by_metric` index (empty when it has none)."""
    return index.get(metric, EMPTY)


EMPTY = pd.DataFrame(
    {
        "metric": pd.Series(dtype="object"),
        "scope": pd.Series(dtype="object"),
        "period_start": pd.Series(dtype="object"),
        "value": pd.Series(dtype="float64"),
        "sample_size": pd.Series(dtype="int64"),
    }
)


@dataclass
class Tile:
    kpi: Kpi
    period: date | None
    value: float | None
    sample_size: int
    display: str
    low_confidence: bool
    interval: tuple[float, float] | None
    previous: stats.Change | None
    previous_display: str
    baseline_value: float | None
    baseline: stats.Change | None
    baseline_display: str
    target: TargetRule | None
    status: str | None  # None without target or value, and for a low-confidence value
    dora: str | None
    spark: str = ""
    reference_period: date | None = None
    extra: dict = field(default_factory=dict)

    @property
    def status_class(self) -> str:
        return stats.status_class(self.status)

    @property
    def too_few(self) -> bool:
        """A target applies but the value rests on too few records to judge it."""
        return self.low_confidence and self.target is not None

    @property
    def target_display(self) -> str:
        return format_target(self.kpi, self.target.value if self.target else None)

    @property
    def interval_display(self) -> str:
        if self.interval is None:
            return ""
        lo, hi = self.interval
        return f"95 % CI {lo:.1f}–{hi:.1f} %"


def judged_status(kpi: Kpi, value: float | None, n: int, rule: TargetRule | None) -> str | None:
    """Target status, or None where there is no target or value — and where the value is
    low-confidence: a number from too few records gets no on/off-track verdict."""
    if rule is None or kpi.is_low_confidence(value, n):
        return None
    return target_status(kpi, value, rule.value, rule.margin_pct)


def make_tile(
    kpi: Kpi,
    rows: pd.DataFrame,
    period: date | None,
    *,
    baseline_value: float | None,
    rules: dict,
    squad: str | None = None,
    reference: tuple[date | None, float | None] | None = None,
) -> Tile:
    """A tile for `kpi` from its rows of one scope (ordered by period) at the `period` shown.
    The change is against `reference` (period, value) when given (compare-to), else against
    the previous period in `rows`."""
    by_period = {row.period_start: row for row in rows.itertuples(index=False)}
    current = by_period.get(period) if period else None
    value = clean_number(current.value) if current is not None else None
    n = int(current.sample_size) if current is not None else 0
    if reference is None:
        earlier = [p for p in by_period if period and p < period]
        ref_period = max(earlier) if earlier else None
        reference = (ref_period, clean_number(by_period[ref_period].value) if ref_period else None)
    prev_change = shown_change(kpi, value, reference[1])
    base_change = shown_change(kpi, value, baseline_value)
    rule = target_for(rules, kpi.code, squad)
    shown = [
        clean_number(row.value) for row in rows.itertuples(index=False) if not period or row.period_start <= period
    ]
    return Tile(
        kpi=kpi,
        period=period,
        value=value,
        sample_size=n,
        display=format_value(kpi, value),
        low_confidence=kpi.is_low_confidence(value, n),
        interval=stats.kpi_interval(kpi, value, n),
        previous=prev_change,
        previous_display=format_delta(kpi, prev_change),
        baseline_value=baseline_value,
        baseline=base_change,
        baseline_display=format_delta(kpi, base_change),
        target=rule,
        status=judged_status(kpi, value, n, rule),
        dora=dora_level(kpi.code, value),
        spark=sparkline_points(shown),
        reference_period=reference[0],
    )


@dataclass
class HeatCell:
    value: float | None
    sample_size: int
    display: str
    colour: str  # on a light page
    low_confidence: bool
    status: str | None = None
    why: str = ""
    dark_colour: str = ""  # the same meaning on a dark page (prefers-color-scheme: dark)


@dataclass
class HeatRow:
    slug: str
    name: str
    area: str
    cells: list[HeatCell]

    @property
    def off_track(self) -> int:
        return sum(1 for cell in self.cells if cell.status == stats.OFF_TRACK)


class Tint(NamedTuple):
    """A cell's background on a light page and on a dark one (light text on a dark tint)."""

    light: str
    dark: str


STATUS_TINTS = {
    stats.ON_TRACK: Tint("#bfe5cc", "#14532d"),
    stats.AT_RISK: Tint("#f8dc9c", "#713f12"),
    stats.OFF_TRACK: Tint("#f4b7b1", "#7f1d1d"),
}
NEUTRAL = Tint("#f1f3f5", "#374151")
EVEN = Tint("#ffffff", "#1f2937")  # about equal to the reference
# KPIs whose org value is a sum or a union over squads: a squad is compared with the median squad.
EXTENSIVE_KINDS = frozenset({"count", "per_week", "uptime"})
EXTENSIVE_UNITS = frozenset({"currency"})


def compares_with_median(kpi: Kpi) -> bool:
    return kpi.kind in EXTENSIVE_KINDS or kpi.unit in EXTENSIVE_UNITS


def _distance_tint(kpi: Kpi, value: float, reference: float | None) -> tuple[Tint, float | None]:
    """A tint by how much better (green) or worse (red) than the reference the value is, relative
    to the reference, saturating at ±50 %; the page's own background when about equal (on a light
    page stronger is darker, on a dark page stronger is brighter). Returns (tint, relative)."""
    if reference is None:
        return NEUTRAL, None
    scale = abs(reference) or 1.0
    relative = (value - reference) / scale
    if not kpi.higher_is_better:
        relative = -relative
    strength = min(abs(relative) / 0.5, 1.0)
    if strength < 0.02:
        return EVEN, relative
    hue = 140 if relative > 0 else 5
    return Tint(f"hsl({hue}, 60%, {97 - 17 * strength:.0f}%)", f"hsl({hue}, 45%, {19 + 11 * strength:.0f}%)"), relative


def heatmap(
    kpis: list[Kpi],
    frame: pd.DataFrame,
    squads: list,
    period: date | None,
    *,
    rules: dict,
    scope: str = "org",
    sort: str = "",
    descending: bool = False,
) -> list[HeatRow]:
    """Squads × KPIs at `period`. A cell is coloured by its target status where a target applies
    (squad override or org default) and the value is not low-confidence; otherwise by its distance
    from the `scope` value (org or area) — from the median squad for counts, cost and uptime, whose
    org value is a sum or a union. Sorted by `sort` (a KPI code)."""
    at = frame[frame["period_start"] == period] if period else frame.iloc[0:0]
    cells_at = {(r.scope, r.metric): (clean_number(r.value), int(r.sample_size)) for r in at.itertuples(index=False)}
    squad_scopes = {squad.scope for squad in squads}
    medians = at[at["scope"].isin(squad_scopes)].groupby("metric")["value"].median().to_dict() if not at.empty else {}
    rows = []
    for squad in squads:
        cells = []
        for kpi in kpis:
            value, size = cells_at.get((squad.scope, kpi.code), (None, 0))
            low = kpi.is_low_confidence(value, size)
            rule = target_for(rules, kpi.code, squad.slug)
            status = judged_status(kpi, value, size, rule) if value is not None else None
            if value is None:
                tint, why = NEUTRAL, "no value"
            elif low:
                tint, why = NEUTRAL, f"too few records (n={size})"
            elif status:
                tint, why = STATUS_TINTS[status], f"{status} (target {format_target(kpi, rule.value)})"
            else:
                median = compares_with_median(kpi)
                reference = (
                    clean_number(medians.get(kpi.code)) if median else cells_at.get((scope, kpi.code), (None, 0))[0]
                )
                tint, relative = _distance_tint(kpi, value, reference)
                against = "the median squad" if median else ("the org" if scope == "org" else "the area")
                why = (
                    ""
                    if relative is None
                    else f"{abs(relative) * 100:.0f} % {'better' if relative >= 0 else 'worse'} than {against}"
                    f" ({format_value(kpi, reference)})"
                )
            cells.append(
                HeatCell(
                    value=value,
                    sample_size=size,
                    display=format_compact(kpi, value),
                    colour=tint.light,
                    dark_colour=tint.dark,
                    low_confidence=low,
                    status=status,
                    why=why,
                )
            )
        rows.append(HeatRow(slug=squad.slug, name=squad.name, area=squad.area.slug, cells=cells))
    codes = [kpi.code for kpi in kpis]
    if sort in codes:
        index = codes.index(sort)
        present = [r for r in rows if r.cells[index].value is not None]
        missing = [r for r in rows if r.cells[index].value is None]
        present.sort(key=lambda r: (r.cells[index].value, r.name), reverse=descending)
        rows = present + missing
    return rows
