"""`/squads/<slug>/`: a squad's KPIs beside the org median, its trends with release and
incident markers, and the records behind the numbers of the selected period."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from dashboards import charts, selectors
from dashboards.controls import period_floor, period_next
from dashboards.tiles import by_metric, clean_number, format_value, make_tile, rows_of
from dashboards.views.common import Page, Table, render_page, start_page
from metrics.kpis import selectors as kpi_selectors
from metrics.kpis.catalog import Family, kpis_for_grain
from squads.models import Squad


def _periods(start: date, last: date | None, grain: str) -> list[date]:
    periods: list[date] = []
    current = start
    while last is not None and current <= last:
        periods.append(current)
        current = period_next(current, grain)
    return periods


def build_squad(page: Page, the_squad: Squad, period: date | None, latest: date | None) -> tuple[dict, dict]:
    """The squad's tiles beside the org median of squads, trends with markers, and its records."""
    c = page.controls
    kpis = kpis_for_grain(c.grain)
    others = list(page.context["nav_squads"])
    if the_squad not in others:
        others.append(the_squad)
    last = latest or c.date_to
    frame = kpi_selectors.snapshot_frame(grain=c.grain, period_from=c.period_from(), period_to=last, squads=others)
    squad_rows = frame[frame["scope"] == the_squad.scope]
    median = (
        frame.groupby(["metric", "period_start"], as_index=False)
        .agg(value=("value", "median"), sample_size=("value", "count"))
        .assign(scope="median")
    )
    base = kpi_selectors.baseline_means(page.baseline, grain=c.grain, scopes=[the_squad.scope])  # type: ignore[arg-type]
    markers = selectors.squad_markers(the_squad, c.period_from(), period_next(last, c.grain))

    own = by_metric(squad_rows)
    medians = by_metric(median)
    at_period = median[median["period_start"] == period]
    median_at = {r.metric: clean_number(r.value) for r in at_period.itertuples(index=False)}
    families = []
    tiles_table = Table(["metric", "period_start", "value", "sample_size", "org_median", "baseline", "target",
                         "status"])
    for family in Family:
        members = [k for k in kpis if k.family == family]
        if not members:
            continue
        tiles = []
        for k in members:
            tile = make_tile(k, rows_of(own, k.code), period,
                             baseline_value=base.get((k.code, the_squad.scope)), rules=page.targets,
                             squad=the_squad.slug)
            med = median_at.get(k.code)
            tile.extra["median"] = format_value(k, med)
            tiles.append(tile)
            tiles_table.rows.append([k.code, period, tile.value, tile.sample_size, med, tile.baseline_value,
                                     tile.target.value if tile.target else None, tile.status or ""])
        figure = charts.family_trends(members, own, scope_label=the_squad.name, comparison=medians,
                                      comparison_label="org median of squads")
        figure = charts.with_markers(figure, markers.releases, markers.incidents)
        families.append({"name": family.value, "tiles": tiles, "chart": figure, "chart_id": f"trend-{family.value}",
                         "kpis": members})

    records = (
        selectors.squad_records(the_squad, period, period_next(period, c.grain)) if period
        else selectors.SquadRecords([], [], [])
    )
    tables = {
        "tiles": tiles_table,
        "trends": Table(["metric", "scope", "period_start", "value", "sample_size"],
                        list(squad_rows.sort_values(["metric", "period_start"]).itertuples(index=False))),
        "releases": Table(["external_id", "version", "released_at", "first_commit_at", "status"],
                          [[r.external_id, r.version, r.released_at, r.first_commit_at, r.status]
                           for r in records.releases]),
        "incidents": Table(["external_id", "severity", "started_at", "resolved_at", "customer_impact",
                            "caused_by_release", "title"],
                           [[i.external_id, i.severity, i.started_at, i.resolved_at, i.customer_impact,
                             i.caused_by_release.external_id if i.caused_by_release else "", i.title]
                            for i in records.incidents]),
        "defects": Table(["external_id", "severity", "found_at", "found_in", "found_by", "resolved_at", "title"],
                         [[d.external_id, d.severity, d.found_at, d.found_in, d.found_by, d.resolved_at, d.title]
                          for d in records.defects]),
    }
    return {"families": families, "records": records}, tables


def squad(request: HttpRequest, slug: str) -> HttpResponse:
    the_squad = get_object_or_404(Squad.objects.select_related("area"), slug=slug)
    page = start_page(request)
    c = page.controls
    latest = c.latest_complete_period()
    choices = _periods(c.period_from(), latest, c.grain)
    period = latest
    asked = request.GET.get("period", "")
    if asked:
        try:
            wanted = period_floor(date.fromisoformat(asked), c.grain)
        except ValueError:
            wanted = None
        if wanted in choices:
            period = wanted
    context = {
        "squad": the_squad,
        "period": period,
        "period_end": period_next(period, c.grain) if period else None,
        "period_choices": choices,
        "records_limit": selectors.RECORDS_LIMIT,
    }
    return render_page(page, "dashboards/squad.html", context, lambda: build_squad(page, the_squad, period, latest),
                       f"squad-{the_squad.slug}")
