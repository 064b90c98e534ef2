"""What every dashboard page shares: the controls, the navigation, rollup freshness, CSV export,
and the page cache.

A page body depends only on the KPI snapshots, the records, targets, baseline and the query
string, so it is built lazily and its rendered HTML cached (template fragment cache) under a key
holding the time of the last rollup and the targets and baseline in force: a new rollup or an
edited target shows at once; the per-user shell (navigation, sign-out form) is rendered each time.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import SimpleLazyObject

from core import csvsafe
from core.numbers import is_missing
from dashboards import selectors
from dashboards.controls import Controls, ControlsForm, parse_controls
from metrics.kpis import selectors as kpi_selectors
from metrics.kpis.catalog import KPIS, Family


@dataclass
class Table:
    """Rows behind a table or chart, exportable as CSV."""

    columns: Sequence[str]
    rows: list[Sequence[object]] = field(default_factory=list)


@dataclass
class Page:
    request: HttpRequest
    controls: Controls
    form: ControlsForm
    context: dict
    targets: dict
    baseline: object  # metrics.models.Baseline | None

    def cache_key(self) -> str:
        """Identifies the page body: path, query string, last rollup, targets and baseline."""
        baseline = self.baseline
        parts = [
            self.request.path,
            "&".join(f"{k}={v}" for k, v in sorted(self.request.GET.items())),
            str(self.context["rollup"].at),
            repr(sorted(self.targets.items(), key=lambda item: (item[0][0], item[0][1] or ""))),
            repr((baseline.pk, baseline.start, baseline.end) if baseline else None),  # type: ignore[attr-defined]
        ]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def start_page(request: HttpRequest, *, area: str | None = None) -> Page:
    """Parse the controls and gather what the layout shows (nav, rollup time) — fixed query count."""
    areas = selectors.area_choices()
    data = request.GET.copy()
    if area is not None:
        if area not in {slug for slug, _ in areas}:
            raise Http404(f"no area {area!r}")
        data["area"] = area
    controls, form = parse_controls(data, areas)
    nav_squads = selectors.squads_for()
    targets = kpi_selectors.targets()
    baseline = kpi_selectors.active_baseline()
    context = {
        "controls": controls,
        "form": form,
        "areas": areas,
        "nav_squads": nav_squads,
        "nav_kpis": KPIS,
        "families": [f.value for f in Family],
        "rollup": kpi_selectors.last_rollup(),
        "query": controls.query(),
        "query_without_area": controls.query(area=""),
        "baseline": baseline,
    }
    # The navigation links depend only on the query string and the areas and squads listed.
    nav = [context["query"], *map(str, areas), *(f"{s.slug}:{s.name}" for s in nav_squads)]
    context["nav_cache_key"] = hashlib.sha256("\n".join(nav).encode()).hexdigest()
    return Page(request, controls, form, context, targets, baseline)


def wants_csv(request: HttpRequest) -> bool:
    return request.GET.get("format") == "csv"


def csv_response(request: HttpRequest, tables: dict[str, Table], basename: str) -> HttpResponse:
    """The table named by ?table= as a CSV download, every cell neutralised against formula injection."""
    name = request.GET.get("table", "")
    if name not in tables:
        raise Http404(f"no table {name!r}; one of {', '.join(sorted(tables))}")
    table = tables[name]
    buffer = io.StringIO()
    writer = csvsafe.writer(buffer)
    writer.writerow(table.columns)
    writer.writerows(_cells(row) for row in table.rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{basename}-{name}.csv"'
    return response


def _cells(row: Iterable[object]) -> list[object]:
    out: list[object] = []
    for cell in row:
        if isinstance(cell, float):
            out.append("" if is_missing(cell) else f"{cell:.4f}".rstrip("0").rstrip("."))
        elif hasattr(cell, "isoformat"):
            out.append(cell.isoformat())  # type: ignore[union-attr]
        else:
            out.append(cell)
    return out


Builder = Callable[[], tuple[dict, dict[str, Table]]]


def render_page(page: Page, template: str, context: dict, build: Builder, basename: str) -> HttpResponse:
    """Render a dashboard page. `context` is cheap and per request; `build()` returns the heavy
    body context and the exportable tables, and runs only for a CSV export or a cache miss."""
    if wants_csv(page.request):
        return csv_response(page.request, build()[1], basename)
    built = SimpleLazyObject(lambda: build()[0])
    return render(page.request, template, {
        **page.context,
        **context,
        "data": built,
        "page_cache_key": page.cache_key(),
        "page_cache_seconds": getattr(settings, "DASHBOARD_CACHE_SECONDS", 600),
    })
