"""`/` and `/areas/<slug>/`: the verdict band, KPI tiles per family, the squads × KPIs heatmap
and the trend charts of the org or an area, with the starts of the bets aiming at their KPIs."""

from __future__ import annotations

from bets.charts import add_bet_markers
from bets.selectors import bet_markers
from dashboards import charts, selectors
from dashboards.controls import period_next
from dashboards.formatting import format_value, period_label, short_label
from dashboards.pages.common import (
    Page,
    PageSpec,
    Table,
    compare_label,
    compared_values,
    empty_range_note,
    reference_for,
)
from dashboards.tiles import Tile, by_metric, heatmap, make_tile, rows_of
from dashboards.verdict import build_verdict
from metrics.kpis import selectors as kpi_selectors
from metrics.kpis.catalog import CATALOG, Family, kpis_for_grain

UPTIME_NOTE = (
    "The org (or area) is down whenever any of its squads is, so its uptime is the union of every "
    "squad's outages: lower than each squad's own."
)


def squad_range(tile: Tile, at_period, squads: list) -> None:
    """Beside a scope's uptime: the range of the squads' values, and why the scope is lower."""
    values = at_period[(at_period["metric"] == tile.kpi.code) & at_period["scope"].isin([s.scope for s in squads])]
    values = values["value"].dropna()
    if values.empty:
        return
    tile.extra["range"] = f"squads {format_value(tile.kpi, values.min())} – {format_value(tile.kpi, values.max())}"
    tile.extra["range_short"] = "lower: every squad's outage counts"
    tile.extra["range_note"] = UPTIME_NOTE


def build_overview(page: Page, sort: str, descending: bool) -> tuple[dict, dict[str, Table]]:
    """Verdict, tiles per family, trend charts and the squads × KPIs heatmap for the page's scope."""
    c = page.controls
    scope = c.scope
    kpis = kpis_for_grain(c.grain)
    period = c.latest_complete_period()
    squads = selectors.squads_for(c.area)
    last = period or c.date_to
    trend = kpi_selectors.snapshot_frame(grain=c.grain, period_from=c.period_from(), period_to=last, scopes=[scope])
    at_period = kpi_selectors.snapshot_frame(
        grain=c.grain, period_from=last, period_to=last, scopes=[scope], squads=squads
    )
    base = kpi_selectors.baseline_means(page.baseline, grain=c.grain, scopes=[scope])
    reference, ref_values = compared_values(page, period, [scope])
    scope_label = page.context["area_name"] if c.area else "org"

    index = by_metric(trend, scope)
    bets = bet_markers([k.code for k in kpis], [scope], c.period_from(), period_next(last, c.grain))  # one query
    families = []
    all_tiles: list[Tile] = []
    tiles_table = Table(
        [
            "metric",
            "period_start",
            "value",
            "sample_size",
            "change_vs_compared",
            "baseline",
            "target",
            "status",
            "dora_level",
        ]
    )
    for family in Family:
        members = [k for k in kpis if k.family == family]
        if not members:
            continue
        tiles = [
            make_tile(
                k,
                rows_of(index, k.code),
                period,
                baseline_value=base.get((k.code, scope)),
                rules=page.targets,
                reference=reference_for(page, reference, ref_values, k.code, scope),
            )
            for k in members
        ]
        for t in tiles:
            if t.kpi.code == "uptime_pct":
                squad_range(t, at_period, squads)
            tiles_table.rows.append(
                [
                    t.kpi.code,
                    t.period,
                    t.value,
                    t.sample_size,
                    t.previous.delta if t.previous else None,
                    t.baseline_value,
                    t.target.value if t.target else None,
                    t.status or "",
                    t.dora or "",
                ]
            )
        all_tiles += tiles
        figure = add_bet_markers(
            charts.family_trends(members, index, scope_label=scope_label), bets, [k.code for k in members]
        )
        families.append(
            {
                "name": family.value,
                "tiles": tiles,
                "chart": figure,
                "chart_id": f"trend-{family.value}",
                "kpis": members,
            }
        )

    rows = heatmap(kpis, at_period, squads, period, rules=page.targets, scope=scope, sort=sort, descending=descending)
    tables = {
        "tiles": tiles_table,
        "heatmap": Table(
            ["squad", "area", *[k.code for k in kpis]],
            [[r.slug, r.area, *[cell.value for cell in r.cells]] for r in rows],
        ),
        "trends": Table(
            ["metric", "scope", "period_start", "value", "sample_size"],
            list(trend.sort_values(["metric", "period_start"]).itertuples(index=False)),
        ),
    }
    context = {
        "families": families,
        "heat_kpis": kpis,
        "heat_columns": [(k, short_label(k)) for k in kpis],
        "heat_rows": rows,
        "squad_count": len(squads),
        "scope_label": scope_label,
        "verdict": build_verdict(all_tiles, rows, kpis),
        "compared": compare_label(page, reference),
    }
    return context, tables


def overview_page(page: Page) -> PageSpec:
    sort = page.request.GET.get("sort", "")
    sort = sort if sort in CATALOG else ""  # a KPI code, else the default order
    descending = page.request.GET.get("dir", "desc") == "desc"
    period = page.controls.latest_complete_period()
    context = {
        "period": period,
        "period_name": period_label(period, page.controls.grain),
        "sort": sort,
        "descending": descending,
        "empty_note": empty_range_note(page.controls, period),
    }
    return PageSpec(
        "dashboards/overview.html",
        context,
        lambda: build_overview(page, sort, descending),
        f"overview-{page.controls.area or 'org'}",
        vary={"sort": sort, "desc": descending},
    )
