"""`/squads/<slug>/`: a squad's verdict and KPIs beside the org median of squads, its trends with
release and incident markers, and the records behind the numbers of the selected period."""

from __future__ import annotations

from datetime import date

from bets.charts import with_bet_starts
from dashboards import charts, selectors
from dashboards.controls import period_floor, period_next
from dashboards.formatting import format_value, period_label
from dashboards.pages.common import (
    Page,
    PageSpec,
    Table,
    compare_label,
    compared_values,
    empty_range_note,
    reference_for,
)
from dashboards.tiles import Tile, by_metric, clean_number, make_tile, rows_of
from dashboards.verdict import build_verdict
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
    """The squad's verdict and tiles beside the org median of squads, trends with markers, its records."""
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
    base = kpi_selectors.baseline_means(page.baseline, grain=c.grain, scopes=[the_squad.scope])
    reference, ref_values = compared_values(page, period, [the_squad.scope])
    markers = selectors.squad_markers(the_squad, c.period_from(), period_next(last, c.grain))

    own = by_metric(squad_rows)
    medians = by_metric(median)
    at_period = median[median["period_start"] == period]
    median_at = {r.metric: clean_number(r.value) for r in at_period.itertuples(index=False)}
    families = []
    all_tiles: list[Tile] = []
    tiles_table = Table(
        ["metric", "period_start", "value", "sample_size", "org_median", "baseline", "target", "status"]
    )
    for family in Family:
        members = [k for k in kpis if k.family == family]
        if not members:
            continue
        tiles = []
        for k in members:
            tile = make_tile(
                k,
                rows_of(own, k.code),
                period,
                baseline_value=base.get((k.code, the_squad.scope)),
                rules=page.targets,
                squad=the_squad.slug,
                reference=reference_for(page, reference, ref_values, k.code, the_squad.scope),
            )
            med = median_at.get(k.code)
            tile.extra["median"] = format_value(k, med)
            tiles.append(tile)
            tiles_table.rows.append(
                [
                    k.code,
                    period,
                    tile.value,
                    tile.sample_size,
                    med,
                    tile.baseline_value,
                    tile.target.value if tile.target else None,
                    tile.status or "",
                ]
            )
        all_tiles += tiles
        figure = charts.family_trends(
            members, own, scope_label=the_squad.name, comparison=medians, comparison_label="org median of squads"
        )
        figure = charts.with_markers(figure, markers.releases, markers.incidents)
        figure = with_bet_starts(
            figure, [k.code for k in members], [the_squad.scope], c.period_from(), period_next(last, c.grain)
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

    records = (
        selectors.squad_records(the_squad, period, period_next(period, c.grain))
        if period
        else selectors.SquadRecords([], [], [])
    )
    tables = {
        "tiles": tiles_table,
        "trends": Table(
            ["metric", "scope", "period_start", "value", "sample_size"],
            list(squad_rows.sort_values(["metric", "period_start"]).itertuples(index=False)),
        ),
        "releases": Table(
            ["external_id", "version", "released_at", "first_commit_at", "status"],
            [[r.external_id, r.version, r.released_at, r.first_commit_at, r.status] for r in records.releases],
        ),
        "incidents": Table(
            ["external_id", "severity", "started_at", "resolved_at", "customer_impact", "caused_by_release", "title"],
            [
                [
                    i.external_id,
                    i.severity,
                    i.started_at,
                    i.resolved_at,
                    i.customer_impact,
                    i.caused_by_release.external_id if i.caused_by_release else "",
                    i.title,
                ]
                for i in records.incidents
            ],
        ),
        "defects": Table(
            ["external_id", "severity", "found_at", "found_in", "found_by", "resolved_at", "title"],
            [
                [d.external_id, d.severity, d.found_at, d.found_in, d.found_by, d.resolved_at, d.title]
                for d in records.defects
            ],
        ),
    }
    context = {
        "families": families,
        "records": records,
        "verdict": build_verdict(all_tiles),
        "compared": compare_label(page, reference),
    }
    return context, tables


def chosen_period(page: Page, choices: list[date], latest: date | None) -> date | None:
    """The `?period=` the user picked when it is one of the choices, else the latest complete one."""
    asked = page.request.GET.get("period", "")
    if not asked:
        return latest
    try:
        wanted = period_floor(date.fromisoformat(asked), page.controls.grain)
    except ValueError:
        return latest
    return wanted if wanted in choices else latest


def squad_page(page: Page, the_squad: Squad) -> PageSpec:
    c = page.controls
    latest = c.latest_complete_period()
    choices = _periods(c.period_from(), latest, c.grain)
    period = chosen_period(page, choices, latest)
    context = {
        "squad": the_squad,
        "period": period,
        "period_name": period_label(period, c.grain),
        "period_end": period_next(period, c.grain) if period else None,
        "period_choices": [(p, period_label(p, c.grain)) for p in choices],
        "records_limit": selectors.RECORDS_LIMIT,
        "empty_note": empty_range_note(c, period),
        "is_my_squad": the_squad in page.context["my_squads"],
    }
    return PageSpec(
        "dashboards/squad.html",
        context,
        lambda: build_squad(page, the_squad, period, latest),
        f"squad-{the_squad.slug}",
        vary={"period": period},
    )
