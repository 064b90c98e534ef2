"""What every dashboard page shares: the controls, the navigation (with the user's own squads),
rollup freshness, the compared period, and the page description a view renders.

A page body depends only on the KPI snapshots, the records, targets, baseline and the query
string, so it is built lazily and its rendered HTML cached (template fragment cache) under a key
holding the time of the last rollup and the targets and baseline in force: a new rollup or an
edited target shows at once; the per-user shell (navigation, sign-out form) is rendered each time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.http import Http404, HttpRequest

from dashboards import shell
from dashboards.controls import Controls, ControlsForm, parse_controls, preset_links
from dashboards.formatting import period_label
from metrics.kpis import selectors as kpi_selectors
from metrics.kpis.catalog import KPIS, Family
from squads.models import Squad


@dataclass
class Table:
    """Rows behind a table or chart, exportable as CSV."""

    columns: Sequence[str]
    rows: list[Sequence[object]] = field(default_factory=list)


Builder = Callable[[], tuple[dict, dict[str, Table]]]


@dataclass
class PageSpec:
    """What a view renders: the template, the cheap per-request context, the lazy body builder
    (runs on a cache miss or a CSV export) and the CSV file name."""

    template: str
    context: dict
    build: Builder
    basename: str
    vary: dict = field(default_factory=dict)  # validated page options (beyond the controls) the body depends on


@dataclass
class Page:
    request: HttpRequest
    controls: Controls
    form: ControlsForm
    context: dict
    targets: dict
    baseline: object  # metrics.models.Baseline | None

    def cache_key(self, vary: dict | None = None) -> str:
        """Identifies the page body: path, the *validated* controls and page options (`vary`),
        last rollup, targets and baseline — never the raw query string, so `?junk=…` or a bad
        value that falls back to the default reuses one entry instead of filling the cache."""
        baseline = self.baseline
        parts = [
            self.request.path,
            self.controls.query(),
            repr(sorted((vary or {}).items())),
            str(self.context["rollup"].at),
            repr(sorted(self.targets.items(), key=lambda item: (item[0][0], item[0][1] or ""))),
            repr((baseline.pk, baseline.start, baseline.end) if baseline else None),
        ]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def set_controls(self, controls: Controls) -> None:
        self.controls = controls
        self.context.update(controls=controls, query=controls.query())


def my_squads(request: HttpRequest, squads: list[Squad]) -> list[Squad]:
    """The active squads the signed-in user manages (as PM), from the already loaded list."""
    user_id = getattr(request.user, "pk", None)
    return [squad for squad in squads if user_id is not None and squad.pm_id == user_id]


def start_page(request: HttpRequest, *, area: str | None = None) -> Page:
    """Parse the controls and gather what the layout shows (nav, rollup time): a fixed number of
    queries, none when the shell is cached (dashboards/shell.py)."""
    layout = shell.load()
    areas = layout.areas
    data = request.GET.copy()
    if area is not None:
        if area not in {slug for slug, _ in areas}:
            raise Http404(f"no area {area!r}")
        data["area"] = area
    controls, form = parse_controls(data, areas)
    nav_squads = layout.squads
    targets = layout.targets
    baseline = layout.baseline
    context = {
        "controls": controls,
        "form": form,
        "control_notes": form.notes(),
        "presets": preset_links(controls),
        "areas": areas,
        "area_name": dict(areas).get(controls.area, controls.area),
        "nav_squads": nav_squads,
        "my_squads": my_squads(request, nav_squads),
        "nav_kpis": KPIS,
        "families": [f.value for f in Family],
        "rollup": kpi_selectors.RollupInfo(at=layout.rollup_at, stale=kpi_selectors.is_stale(layout.rollup_at)),
        "query": controls.query(),
        "query_without_area": controls.query(area=""),
        "baseline": baseline,
    }
    # The navigation links depend only on the query string and the areas and squads listed.
    nav = [context["query"], *map(str, areas), *(f"{s.slug}:{s.name}" for s in nav_squads)]
    context["nav_cache_key"] = hashlib.sha256("\n".join(nav).encode()).hexdigest()
    return Page(request, controls, form, context, targets, baseline)


def empty_range_note(controls: Controls, period: date | None) -> str:
    """Why a page shows no period, in words."""
    if period is not None:
        return ""
    grain = controls.grain
    return (
        f"No complete {grain} ends between {controls.date_from:%d %b %Y} and {controls.date_to:%d %b %Y}"
        f" (a {grain} counts once it has ended): widen the range, pick a preset, or choose a shorter grain."
    )


def compared_values(page: Page, period: date | None, scopes: Sequence[str]) -> tuple[date | None, dict]:
    """The period changes are measured against (compare-to) and, when it is not simply the previous
    period, the stored values of `scopes` there: (metric, scope) → value. One query at most."""
    reference = page.controls.reference_period(period)
    if reference is None or page.controls.compare == "previous":
        return reference, {}
    frame = kpi_selectors.snapshot_frame(
        grain=page.controls.grain, period_from=reference, period_to=reference, scopes=list(scopes)
    )
    return reference, {
        (r.metric, r.scope): (None if r.value != r.value else float(r.value)) for r in frame.itertuples(index=False)
    }


def reference_for(page: Page, reference: date | None, values: dict, metric: str, scope: str):
    """The `reference=` argument of `make_tile`: None (previous period in the rows) or (period, value)."""
    if page.controls.compare == "previous":
        return None
    return reference, values.get((metric, scope))


def compare_label(page: Page, reference: date | None) -> str:
    return period_label(reference, page.controls.grain) if reference else "–"
