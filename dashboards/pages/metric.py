"""`/metrics/<code>/`: one KPI — its catalog definition, the org (or area) trend with the reviews
and the starts of the bets aiming at it, every squad side by side and the distribution across
squads."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from bets.charts import with_bet_starts
from dashboards import charts, selectors, stats
from dashboards.formatting import format_target, format_value, period_label
from dashboards.pages.common import Page, PageSpec, Table, empty_range_note
from dashboards.pages.overview import squad_range
from dashboards.tiles import judged_status, make_tile, series
from metrics.kpis import selectors as kpi_selectors
from metrics.kpis.catalog import DORA_THRESHOLDS, LOW_CONFIDENCE_BELOW, Kpi
from reviews.charts import with_review_markers


def build_metric(page: Page, kpi: Kpi, period: date | None) -> tuple[dict, dict[str, Table]]:
    """The KPI's tile and trend for the scope, every squad's value, the distribution across squads."""
    c = page.controls
    code = kpi.code
    scope = c.scope
    last = period or c.date_to
    squads = selectors.squads_for(c.area)
    frame = kpi_selectors.snapshot_frame(
        grain=c.grain, period_from=c.period_from(), period_to=last, scopes=[scope], squads=squads, metrics=[code]
    )
    rules = page.targets
    base = kpi_selectors.baseline_means(page.baseline, grain=c.grain, scopes=[scope])
    trend_rows = series(frame, code, scope)
    tile = make_tile(kpi, trend_rows, period, baseline_value=base.get((code, scope)), rules=rules)
    org_target = kpi_selectors.target_for(rules, code, None)
    if code == "uptime_pct" and period:
        squad_range(tile, frame[frame["period_start"] == period], squads)

    squad_frame = frame[frame["scope"] != scope]
    at = squad_frame[squad_frame["period_start"] == period].set_index("scope") if period else squad_frame.iloc[0:0]
    rows = []
    for squad in squads:
        value = float(at.at[squad.scope, "value"]) if squad.scope in at.index else None
        value = None if value is not None and value != value else value
        n = int(at.at[squad.scope, "sample_size"]) if squad.scope in at.index else 0
        rule = kpi_selectors.target_for(rules, code, squad.slug)
        interval = stats.kpi_interval(kpi, value, n)
        status = judged_status(kpi, value, n, rule)
        low = kpi.is_low_confidence(value, n)
        rows.append(
            {
                "squad": squad,
                "value": value,
                "display": format_value(kpi, value),
                "n": n,
                "low_confidence": low,
                "too_few": low and rule is not None,
                "interval": f"{interval[0]:.1f}–{interval[1]:.1f} %" if interval else "",
                "status": status,
                "status_class": stats.status_class(status),
                "target": rule.value if rule else None,
                "target_display": format_target(kpi, rule.value if rule else None),
            }
        )
    present = sorted(
        (r for r in rows if r["value"] is not None), key=lambda r: r["value"], reverse=kpi.higher_is_better
    )
    rows = present + [r for r in rows if r["value"] is None]

    context = {
        "tile": tile,
        "rows": rows,
        "trend_chart": with_bet_starts(
            with_review_markers(
                charts.metric_trend(
                    kpi,
                    trend_rows,
                    page.context["area_name"] if c.area else "org",
                    target=org_target.value if org_target else None,
                ),
                metric=code,
                scope=scope,
                date_from=c.period_from(),
                date_to=c.date_to,
            ),
            [code],
            [scope],
            c.period_from(),
            c.date_to,
        ),
        "bars_chart": charts.squad_bars(
            kpi, [r["squad"].name for r in present], [r["value"] for r in present], [r["n"] for r in present]
        ),
        "dist_chart": charts.distribution(kpi, squad_frame),
    }
    tables = {
        "trend": Table(
            ["metric", "scope", "period_start", "value", "sample_size"], list(trend_rows.itertuples(index=False))
        ),
        "squads": Table(
            ["squad", "area", "period_start", "value", "sample_size", "target", "status"],
            [
                [r["squad"].slug, r["squad"].area.slug, period, r["value"], r["n"], r["target"], r["status"] or ""]
                for r in rows
            ],
        ),
        "distribution": Table(
            ["metric", "scope", "period_start", "value", "sample_size"],
            list(squad_frame.sort_values(["period_start", "scope"]).itertuples(index=False)),
        ),
    }
    return context, tables


def metric_page(page: Page, kpi: Kpi) -> PageSpec:
    grain_note = ""
    if page.controls.grain not in kpi.grains:
        grain_note = f"{kpi.label} is not computed per {page.controls.grain}; showing {kpi.grains[0]}s."
        page.set_controls(replace(page.controls, grain=kpi.grains[0]))
    period = page.controls.latest_complete_period()
    dora = DORA_THRESHOLDS.get(kpi.code)
    context = {
        "kpi": kpi,
        "period": period,
        "period_name": period_label(period, page.controls.grain),
        "grain_note": grain_note,
        "empty_note": empty_range_note(page.controls, period),
        "dora": [(level, format_target(kpi, bound)) for level, bound in dora if level != "low"] if dora else None,
        "proportion": kpi.is_proportion,
        "low_confidence_below": LOW_CONFIDENCE_BELOW,
        "exact": kpi.confidence_floor == 0,
    }
    return PageSpec("dashboards/metric.html", context, lambda: build_metric(page, kpi, period), f"metric-{kpi.code}")
