"""`/review/`: the print-friendly monthly business review — every KPI of the latest complete
period with its change, target status and how many squads are on track."""

from __future__ import annotations

from collections import Counter
from datetime import date

from django.http import HttpRequest, HttpResponse

from dashboards import charts, selectors
from dashboards.tiles import by_metric, make_tile, rows_of
from dashboards.views.common import Page, Table, render_page, start_page
from metrics.kpis import selectors as kpi_selectors
from metrics.kpis.catalog import Family, kpis_for_grain
from metrics.kpis.selectors import AT_RISK, OFF_TRACK, ON_TRACK, target_status


def build_review(page: Page, period: date | None) -> tuple[dict, dict[str, Table]]:
    """Every KPI of the period with change, target status and squads on track; family trends."""
    c = page.controls
    scope = c.scope
    kpis = kpis_for_grain(c.grain)
    last = period or c.date_to
    squads = selectors.squads_for(c.area)
    trend = kpi_selectors.snapshot_frame(grain=c.grain, period_from=c.period_from(), period_to=last, scopes=[scope])
    at_period = kpi_selectors.snapshot_frame(grain=c.grain, period_from=last, period_to=last, squads=squads)
    base = kpi_selectors.baseline_means(page.baseline, grain=c.grain, scopes=[scope])  # type: ignore[arg-type]
    rules = page.targets
    values = {(r.metric, r.scope): r.value for r in at_period.itertuples(index=False)}

    index = by_metric(trend, scope)
    rows = []
    for kpi in kpis:
        tile = make_tile(kpi, rows_of(index, kpi.code), period, baseline_value=base.get((kpi.code, scope)),
                         rules=rules)
        counts: Counter[str] = Counter()
        for squad in squads:
            value = values.get((kpi.code, squad.scope))
            value = None if value is None or value != value else value
            rule = kpi_selectors.target_for(rules, kpi.code, squad.slug)
            status = target_status(kpi, value, rule.value if rule else None, rule.margin_pct if rule else 0)
            counts[status or "no target or value"] += 1
        rows.append({"tile": tile, "counts": counts,
                     "status_counts": [counts[ON_TRACK], counts[AT_RISK], counts[OFF_TRACK]]})
    families = []
    for family in Family:
        members = [k for k in kpis if k.family == family]
        if members:
            families.append({"name": family.value, "chart_id": f"review-{family.value}", "kpis": members,
                             "chart": charts.family_trends(members, index, scope_label=c.scope)})
    table = Table(["metric", "period_start", "value", "sample_size", "change_vs_previous", "change_vs_baseline",
                   "target", "status", "dora_level", "squads_on_track", "squads_at_risk", "squads_off_track"],
                  [[r["tile"].kpi.code, period, r["tile"].value, r["tile"].sample_size,
                    r["tile"].previous.delta if r["tile"].previous else None,
                    r["tile"].baseline.delta if r["tile"].baseline else None,
                    r["tile"].target.value if r["tile"].target else None, r["tile"].status or "",
                    r["tile"].dora or "", r["counts"][ON_TRACK], r["counts"][AT_RISK],
                    r["counts"][OFF_TRACK]] for r in rows])
    return {"rows": rows, "families": families, "squad_count": len(squads)}, {"summary": table}


def review(request: HttpRequest) -> HttpResponse:
    page = start_page(request)
    period = page.controls.latest_complete_period()
    return render_page(page, "dashboards/review.html", {"period": period}, lambda: build_review(page, period),
                       "review")
