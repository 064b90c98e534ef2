"""Where a user lands after signing in, and `/my-squads/`: a PM sees their own squads first —
one squad opens its page, several are listed with each one's verdict."""

from __future__ import annotations

from dataclasses import dataclass

from dashboards.formatting import period_label
from dashboards.pages.common import Page, PageSpec, Table
from dashboards.tiles import by_metric, make_tile, rows_of
from dashboards.verdict import Verdict, build_verdict
from metrics.kpis import selectors as kpi_selectors
from metrics.kpis.catalog import kpis_for_grain
from squads.models import Squad


@dataclass(frozen=True)
class SquadVerdict:
    squad: Squad
    verdict: Verdict


def build_my_squads(page: Page, squads: list[Squad]) -> tuple[dict, dict[str, Table]]:
    """Each of the user's squads with the verdict of its latest complete period (one query)."""
    c = page.controls
    period = c.latest_complete_period()
    kpis = kpis_for_grain(c.grain)
    last = period or c.date_to
    frame = kpi_selectors.snapshot_frame(grain=c.grain, period_from=c.period_from(), period_to=last, squads=squads)
    base = kpi_selectors.baseline_means(page.baseline, grain=c.grain, squads=squads)
    cards = []
    table = Table(["squad", "on_track", "at_risk", "off_track", "too_few_records"])
    for squad in squads:
        own = by_metric(frame, squad.scope)
        tiles = [
            make_tile(
                k,
                rows_of(own, k.code),
                period,
                baseline_value=base.get((k.code, squad.scope)),
                rules=page.targets,
                squad=squad.slug,
            )
            for k in kpis
        ]
        verdict = build_verdict(tiles)
        cards.append(SquadVerdict(squad, verdict))
        table.rows.append([squad.slug, verdict.on_track, verdict.at_risk, verdict.off_track, verdict.too_few])
    return {"cards": cards}, {"squads": table}


def my_squads_page(page: Page) -> PageSpec:
    squads = page.context["my_squads"]
    period = page.controls.latest_complete_period()
    context = {"period": period, "period_name": period_label(period, page.controls.grain)}
    return PageSpec(
        "dashboards/my_squads.html", context, lambda: build_my_squads(page, squads), f"my-squads-{page.request.user.pk}"
    )
