"""`/review/`: the print-friendly monthly business review — every KPI of the latest complete
period with its change, target status and how many squads are on track."""

from __future__ import annotations

from collections import Counter
from datetime import date

from dashboards import charts, selectors, stats
from dashboards.formatting import period_label
from dashboards.pages.common import Page, PageSpec, Table, compare_label, compared_values, reference_for
from dashboards.tiles import by_metric, judged_status, make_tile, rows_of
from dashboards.verdict import build_verdict
from metrics.kpis import selectors as kpi_selectors
from metrics.kpis.catalog import Family, kpis_for_grain

NO_VERDICT = "no target or too few records"


def build_review(page: Page, period: date | None) -> tuple[dict, dict[str, Table]]:
    """Every KPI of the period with change, target status and squads on track; family trends."""
    c = page.controls
    scope = c.scope
    kpis = kpis_for_grain(c.grain)
    last = period or c.date_to
    squads = selectors.squads_for(c.area)
    trend = kpi_selectors.snapshot_frame(grain=c.grain, period_from=c.period_from(), period_to=last, scopes=[scope])
    at_period = kpi_selectors.snapshot_frame(grain=c.grain, period_from=last, period_to=last, squads=squads)
    base = kpi_selectors.baseline_means(page.baseline, grain=c.grain, scopes=[scope])
    reference, ref_values = compared_values(page, period, [scope])
    rules = page.targets
    values = {(r.metric, r.scope): (r.value, int(r.sample_size)) for r in at_period.itertuples(index=False)}

    index = by_metric(trend, scope)
    rows = []
    for kpi in kpis:
        tile = make_tile(
            kpi,
            rows_of(index, kpi.code),
            period,
            baseline_value=base.get((kpi.code, scope)),
            rules=rules,
            reference=reference_for(page, reference, ref_values, kpi.code, scope),
        )
        counts: Counter[str] = Counter()
        for squad in squads:
            value, n = values.get((kpi.code, squad.scope), (None, 0))
            value = None if value is None or value != value else value
            status = judged_status(kpi, value, n, kpi_selectors.target_for(rules, kpi.code, squad.slug))
            counts[status or NO_VERDICT] += 1
        rows.append(
            {
                "tile": tile,
                "counts": counts,
                "status_counts": [counts[stats.ON_TRACK], counts[stats.AT_RISK], counts[stats.OFF_TRACK]],
            }
        )
    families = []
    for family in Family:
        members = [k for k in kpis if k.family == family]
        if members:
            families.append(
                {
                    "name": family.value,
                    "chart_id": f"review-{family.value}",
                    "kpis": members,
                    "chart": charts.family_trends(members, index, scope_label=page.context["area_name"] or "org"),
                }
            )
    table = Table(
        [
            "metric",
            "period_start",
            "value",
            "sample_size",
            "change_vs_compared",
            "change_vs_baseline",
            "target",
            "status",
            "dora_level",
            "squads_on_track",
            "squads_at_risk",
            "squads_off_track",
        ],
        [
            [
                r["tile"].kpi.code,
                period,
                r["tile"].value,
                r["tile"].sample_size,
                r["tile"].previous.delta if r["tile"].previous else None,
                r["tile"].baseline.delta if r["tile"].baseline else None,
                r["tile"].target.value if r["tile"].target else None,
                r["tile"].status or "",
                r["tile"].dora or "",
                r["counts"][stats.ON_TRACK],
                r["counts"][stats.AT_RISK],
                r["counts"][stats.OFF_TRACK],
            ]
            for r in rows
        ],
    )
    verdict = build_verdict([r["tile"] for r in rows])
    return {
        "rows": rows,
        "families": families,
        "squad_count": len(squads),
        "verdict": verdict,
        "compared": compare_label(page, reference),
    }, {"summary": table}


def review_page(page: Page) -> PageSpec:
    period = page.controls.latest_complete_period()
    context = {"period": period, "period_name": period_label(period, page.controls.grain)}
    return PageSpec("dashboards/review.html", context, lambda: build_review(page, period), "review")
