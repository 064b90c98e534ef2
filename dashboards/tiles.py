"""Page building blocks made from snapshot DataFrames: KPI tiles and the squads × KPIs
heatmap. Reads nothing; the views pass in what the selectors returned."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from core.numbers import is_missing, number_or_none
from dashboards import stats
from dashboards.charts import sparkline_points
from metrics.kpis.catalog import Kpi, dora_level
from metrics.kpis.selectors import TargetRule, target_for, target_status


def format_value(kpi: Kpi, value: float | None) -> str:
    """A KPI value as shown on a page, in the KPI's unit."""
    if is_missing(value):
        return "–"
    unit = kpi.unit_format
    return f"{value:{unit.value_spec}}{unit.value_suffix}"


def format_delta(kpi: Kpi, change: stats.Change | None) -> str:
    if change is None:
        return "–"
    unit = kpi.unit_format
    text = f"{change.arrow} {abs(change.delta):,.{unit.delta_digits}f}{unit.delta_suffix}"
    if change.pct is not None and unit.relative_change:
        text += f" ({change.pct:+.0f} %)"
    return text


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


EMPTY = pd.DataFrame({"metric": pd.Series(dtype="object"), "scope": pd.Series(dtype="object"),
                      "period_start": pd.Series(dtype="object"), "value": pd.Series(dtype="float64"),
                      "sample_size": pd.Series(dtype="int64")})


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
    status: str | None
    dora: str | None
    spark: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def status_class(self) -> str:
        return stats.status_class(self.status)

    @property
    def interval_display(self) -> str:
        if self.interval is None:
            return ""
        lo, hi = self.interval
        return f"95 % CI {lo:.1f}–{hi:.1f} %"


def make_tile(
    kpi: Kpi,
    rows: pd.DataFrame,
    period: date | None,
    *,
    baseline_value: float | None,
    rules: dict,
    squad: str | None = None,
) -> Tile:
    """A tile for `kpi` from its rows of one scope (ordered by period) at the `period` shown."""
    by_period = {row.period_start: row for row in rows.itertuples(index=False)}
    current = by_period.get(period) if period else None
    value = clean_number(current.value) if current is not None else None
    n = int(current.sample_size) if current is not None else 0
    earlier = [p for p in by_period if period and p < period]
    prev_row = by_period[max(earlier)] if earlier else None
    prev_value = clean_number(prev_row.value) if prev_row is not None else None
    prev_change = stats.change(kpi, value, prev_value)
    base_change = stats.change(kpi, value, baseline_value)
    rule = target_for(rules, kpi.code, squad)
    shown = [clean_number(row.value) for row in rows.itertuples(index=False)
             if not period or row.period_start <= period]
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
        status=target_status(kpi, value, rule.value if rule else None, rule.margin_pct if rule else 0.0),
        dora=dora_level(kpi.code, value),
        spark=sparkline_points(shown),
    )


@dataclass
class HeatCell:
    value: float | None
    sample_size: int
    display: str
    colour: str
    low_confidence: bool


@dataclass
class HeatRow:
    slug: str
    name: str
    area: str
    cells: list[HeatCell]


def _colour(goodness: float | None) -> str:
    """Red (worst) → amber → green (best) for a goodness in [0, 1]; grey for no value."""
    if goodness is None:
        return "#eceff3"
    hue = 5 + 125 * goodness
    return f"hsl({hue:.0f}, 62%, 80%)"


def _goodness(kpis: list[Kpi], at: pd.DataFrame) -> dict[tuple[str, str], float]:
    """(scope, metric) → the squad's rank among squads for the KPI, 1.0 best, 0.0 worst (ties share
    their average rank; a lone value is 0.5), by the KPI's direction — one grouped pandas rank."""
    valid = at[at["value"].notna() & at["metric"].isin([k.code for k in kpis])]
    if valid.empty:
        return {}
    grouped = valid.groupby("metric")["value"]
    count = grouped.transform("count")
    share = ((grouped.rank(method="average") - 1) / (count - 1).where(count > 1)).fillna(0.5)
    higher = valid["metric"].map({k.code: k.higher_is_better for k in kpis})
    share = share.where(higher, 1 - share)
    return {(scope, metric): float(g) for scope, metric, g in zip(valid["scope"], valid["metric"], share, strict=True)}


def heatmap(
    kpis: list[Kpi], frame: pd.DataFrame, squads: list, period: date | None, sort: str = "", descending: bool = False
) -> list[HeatRow]:
    """Squads × KPIs at `period`. Each cell is coloured by the squad's rank among squads for that
    KPI (pandas rank per KPI), best green, worst red, by the KPI's direction. Sorted by `sort` (a KPI code)."""
    at = frame[frame["period_start"] == period] if period else frame.iloc[0:0]
    cells_at = {(r.scope, r.metric): (clean_number(r.value), int(r.sample_size)) for r in at.itertuples(index=False)}
    goodness = _goodness(kpis, at)
    rows = []
    for squad in squads:
        cells = []
        for kpi in kpis:
            value, size = cells_at.get((squad.scope, kpi.code), (None, 0))
            cells.append(
                HeatCell(
                    value=value,
                    sample_size=size,
                    display=format_value(kpi, value),
                    colour=_colour(goodness.get((squad.scope, kpi.code)) if value is not None else None),
                    low_confidence=kpi.is_low_confidence(value, size),
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
