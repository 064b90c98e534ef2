"""`/` and `/areas/<slug>/`: see dashboards.pages.overview."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from dashboards.pages.overview import overview_page
from dashboards.views.common import render_spec, start_page


def overview(request: HttpRequest, area: str | None = None) -> HttpResponse:
    page = start_page(request, area=area)
    return render_spec(page, overview_page(page))


def overview_area(request: HttpRequest, slug: str) -> HttpResponse:
    return overview(request, area=slug)
