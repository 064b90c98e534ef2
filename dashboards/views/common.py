"""Rendering a dashboard page: the HTML (body cached, see dashboards/pages/common.py) or one of
its tables as a CSV download. `Page`, `Table` and `start_page` live in dashboards.pages.common
and are re-exported here for the views."""

from __future__ import annotations

import io
from collections.abc import Iterable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import SimpleLazyObject

from core import csvsafe
from core.numbers import csv_number
from dashboards.pages.common import Builder, Page, PageSpec, Table, start_page

__all__ = ["Builder", "Page", "PageSpec", "Table", "csv_response", "render_page", "render_spec", "start_page"]


def render_spec(page: Page, spec: PageSpec) -> HttpResponse:
    """Render what a page builder described (see dashboards/pages/)."""
    return render_page(page, spec.template, spec.context, spec.build, spec.basename, spec.vary)


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
            out.append(csv_number(cell))
        elif hasattr(cell, "isoformat"):
            out.append(cell.isoformat())
        else:
            out.append(cell)
    return out


def render_page(
    page: Page, template: str, context: dict, build: Builder, basename: str, vary: dict | None = None
) -> HttpResponse:
    """Render a dashboard page. `context` is cheap and per request; `build()` returns the heavy
    body context and the exportable tables, and runs only for a CSV export or a cache miss."""
    if wants_csv(page.request):
        return csv_response(page.request, build()[1], basename)
    built = SimpleLazyObject(lambda: build()[0])
    return render(
        page.request,
        template,
        {
            **page.context,
            **context,
            "data": built,
            "page_cache_key": page.cache_key(vary),
            "page_cache_seconds": getattr(settings, "DASHBOARD_CACHE_SECONDS", 600),
        },
    )
