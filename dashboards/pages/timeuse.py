"""`/time/`: how squads spend their time per month (features, quality, support,
onboarding, KTLO, other), for the org, an area or one squad."""

from __future__ import annotations

from bets.selectors import initiative_plans
from dashboards import charts, selectors
from dashboards.controls import period_next
from dashboards.formatting import words
from dashboards.pages.common import Page, PageSpec, Table
from squads.models import Squad


def build_time(page: Page, chosen: Squad | None) -> tuple[dict, dict[str, Table]]:
    """Monthly headcount-weighted time split for the org, the area or the chosen squad."""
    c = page.controls
    start = c.date_from.replace(day=1)
    end = period_next(c.date_to.replace(day=1), "month")
    mix = selectors.time_mix(start=start, end=end, area=c.area, squad=chosen)
    categories = selectors.TIME_CATEGORIES
    rows = [
        [row.month, row.responses, row.headcount, *[getattr(row, name) for name in categories]]
        for row in mix.itertuples(index=False)
    ]
    tables = {"mix": Table(["month", "responses", "headcount", *[f"pct_{n}" for n in categories]], rows)}
    plans = initiative_plans(start=start, end=end, area=c.area, squad_slug=chosen.slug if chosen else "")
    chart = charts.time_allocation(mix, categories, [words(n) for n in categories])
    return {"chart": chart, "rows": rows, "initiatives": plans}, tables


def time_page(page: Page) -> PageSpec:
    squads = page.context["nav_squads"]
    chosen = {s.slug: s for s in squads}.get(page.request.GET.get("squad", ""))
    label = chosen.name if chosen else page.context["area_name"] if page.controls.area else "whole org"
    context = {
        "label": label,
        "chosen": chosen,
        "squads": squads,
        "categories": [words(n) for n in selectors.TIME_CATEGORIES],
    }
    return PageSpec(
        "dashboards/time.html",
        context,
        lambda: build_time(page, chosen),
        "time-allocation",
        vary={"squad": chosen.slug if chosen else ""},
    )
