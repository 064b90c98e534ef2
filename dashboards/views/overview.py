"""`/` org overview and `/areas/<slug>/` (the same page scoped to one area)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from dashboards import charts, selectors
from dashboards.tiles import by_metric, heatmap, make_tile, rows_of
from dashboards.views.common import Page, Table, render_page, start_page
from metrics.kpis import selectors as kpi_selectors
from metrics.kpis.catalog import Family, kpis_for_grain


def build_overview(page: Page, sort: str, descending: bool) -> tuple[dict, dict[str, Table]]:
    """Tiles per family, trend charts and the squads × KPIs heatmap for the page's scope."""
    c = page.controls
    scope = c.scope
    kpis = kpis_for_grain(c.grain)
    period = c.latest_complete_period()
    squads = selectors.squads_for(c.area)
    last = period or c.date_to
    trend = kpi_selectors.snapshot_frame(grain=c.grain, period_from=c.period_from(), period_to=last, scopes=[scope])
    at_period = kpi_selectors.snapshot_frame(grain=c.grain, period_from=last, period_to=last, squads=squads)
    base = kpi_selectors.baseline_means(page.baseline, grain=c.grain, scopes=[scope])  # type: ignore[arg-type]
    scope_label = f"area {c.area}" if c.area else "org"

    index = by_metric(trend, scope)
    families = []
    tiles_table = Table(["metric", "period_start", "value", "sample_size", "change_vs_previous",
                         "baseline", "target", "status", "dora_level"])
    for family in Family:
        members = [k for k in kpis if k.family == family]
        if not members:
            continue
        tiles = [make_tile(k, rows_of(index, k.code), period, baseline_value=base.get((k.code, scope)),
                           rules=page.targets) for k in members]
        for t in tiles:
            tiles_table.rows.append([t.kpi.code, t.period, t.value, t.sample_size,
                                     t.previous.delta if t.previous else None, t.baseline_value,
                                     t.target.value if t.target else None, t.status or "", t.dora or ""])
        figure = charts.family_trends(members, index, scope_label=scope_label)
        families.append({"name": family.value, "tiles": tiles, "chart": figure, "chart_id": f"trend-{family.value}",
                         "kpis": members})

    rows = heatmap(kpis, at_period, squads, period, sort=sort, descending=descending)
    tables = {
        "tiles": tiles_table,
        "heatmap": Table(["squad", "area", *[k.code for k in kpis]],
                         [[r.slug, r.area, *[cell.value for cell in r.cells]] for r in rows]),
        "trends": Table(["metric", "scope", "period_start", "value", "sample_size"],
                        list(trend.sort_values(["metric", "period_start"]).itertuples(index=False))),
    }
    context = {"families": families, "heat_kpis": kpis, "heat_rows": rows, "squad_count": len(squads),
               "scope_label": scope_label}
    return context, tables


def overview(request: HttpRequest, area: str | None = None) -> HttpResponse:
    page = start_page(request, area=area)
    sort = request.GET.get("sort", "")
    descending = request.GET.get("dir", "desc") == "desc"
    context = {"period": page.controls.latest_complete_period(), "sort": sort, "descending": descending}
    return render_page(page, "dashboards/overview.html", context, lambda: build_overview(page, sort, descending),
                       f"overview-{page.controls.area or 'org'}")


def overview_area(request: HttpRequest, slug: str) -> HttpResponse:
    return overview(request, area=slug)
