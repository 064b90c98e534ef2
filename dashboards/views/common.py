"""What every dashboard page shares: the controls, the navigation, rollup freshness, CSV export."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from dashboards import selectors
from dashboards.controls import Controls, ControlsForm, parse_controls
from metrics.catalog import KPIS, Family
from productops import csvsafe


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
    context = {
        "controls": controls,
        "form": form,
        "areas": areas,
        "nav_squads": nav_squads,
        "nav_kpis": KPIS,
        "families": [f.value for f in Family],
        "rollup": selectors.last_rollup(),
        "query": controls.query(),
    }
    return Page(request, controls, form, context)


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
            out.append("" if cell != cell else f"{cell:.4f}".rstrip("0").rstrip("."))
        elif hasattr(cell, "isoformat"):
            out.append(cell.isoformat())  # type: ignore[union-attr]
        else:
            out.append(cell)
    return out


def render_page(page: Page, template: str, context: dict, tables: dict[str, Table], basename: str) -> HttpResponse:
    if wants_csv(page.request):
        return csv_response(page.request, tables, basename)
    return render(page.request, template, {**page.context, **context, "tables": sorted(tables)})
