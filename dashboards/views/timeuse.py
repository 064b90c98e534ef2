"""`/time/`: how squads spend their time per month (features, quality, support,
onboarding, KTLO, other), for the org, an area or one squad."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from dashboards import charts, selectors
from dashboards.controls import period_next
from dashboards.views.common import Table, render_page, start_page


def time_allocation(request: HttpRequest) -> HttpResponse:
    page = start_page(request)
    c = page.controls
    squads = page.context["nav_squads"]
    by_slug = {s.slug: s for s in squads}
    chosen = by_slug.get(request.GET.get("squad", ""))
    start = c.date_from.replace(day=1)
    end = period_next(c.date_to.replace(day=1), "month")
    mix = selectors.time_mix(start=start, end=end, area=c.area, squad=chosen)
    categories = selectors.TIME_CATEGORIES
    rows = [[row.month, row.responses, row.headcount, *[getattr(row, name) for name in categories]]
            for row in mix.itertuples(index=False)]
    tables = {"mix": Table(["month", "responses", "headcount", *[f"pct_{n}" for n in categories]], rows)}
    if chosen:
        label = chosen.name
    else:
        label = f"area {c.area}" if c.area else "whole org"
    context = {
        "label": label,
        "chosen": chosen,
        "squads": squads,
        "chart": charts.time_allocation(mix, categories),
        "categories": categories,
        "rows": rows,
    }
    return render_page(page, "dashboards/time.html", context, tables, "time-allocation")
