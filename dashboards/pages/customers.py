"""`/customers/`: customer voice — NPS, CSAT and promise-kept trends with response counts,
and the top customer problems over time."""

from __future__ import annotations

from datetime import date

from dashboards import charts, selectors
from dashboards.controls import period_next
from dashboards.formatting import period_label
from dashboards.pages.common import Page, PageSpec, Table
from dashboards.tiles import make_tile, series
from metrics.kpis import selectors as kpi_selectors
from metrics.kpis.catalog import CATALOG, CUSTOMER_KPIS


def build_customers(page: Page, period: date | None) -> tuple[dict, dict[str, Table]]:
    """Customer KPI tiles and trends with response counts, and the top problems per period."""
    c = page.controls
    scope = c.scope
    last = period or c.date_to
    kpis = [CATALOG[code] for code in CUSTOMER_KPIS]
    frame = kpi_selectors.snapshot_frame(
        grain=c.grain, period_from=c.period_from(), period_to=last, scopes=[scope], metrics=list(CUSTOMER_KPIS)
    )
    base = kpi_selectors.baseline_means(page.baseline, grain=c.grain, scopes=[scope])
    tiles = [
        make_tile(k, series(frame, k.code, scope), period, baseline_value=base.get((k.code, scope)), rules=page.targets)
        for k in kpis
    ]
    problems = selectors.top_problems(grain=c.grain, start=c.period_from(), end=period_next(last, c.grain), area=c.area)
    order = problems.attrs.get("order", [])
    themes = charts.stacked_bars(problems, "period_start", "top_problem", "responses", order, y_title="responses")
    periods = sorted(problems["period_start"].unique())
    pivot = problems.pivot_table(
        index="top_problem", columns="period_start", values="responses", aggfunc="sum", fill_value=0
    )
    theme_rows = [
        [theme, *[int(pivot.at[theme, p]) if p in pivot.columns else 0 for p in periods]]
        for theme in order
        if theme in pivot.index
    ]
    tables = {
        "trends": Table(
            ["metric", "scope", "period_start", "value", "sample_size"],
            list(frame.sort_values(["metric", "period_start"]).itertuples(index=False)),
        ),
        "problems": Table(["period_start", "top_problem", "responses"], list(problems.itertuples(index=False))),
    }
    context = {
        "tiles": tiles,
        "trend_chart": charts.customer_trends(kpis, frame, scope),
        "themes_chart": themes,
        "theme_periods": periods,
        "theme_rows": theme_rows,
    }
    return context, tables


def customers_page(page: Page) -> PageSpec:
    period = page.controls.latest_complete_period()
    context = {"period": period, "period_name": period_label(period, page.controls.grain)}
    return PageSpec("dashboards/customers.html", context, lambda: build_customers(page, period), "customers")
