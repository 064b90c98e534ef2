"""`/review/`: see dashboards.pages.review."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from dashboards.pages.review import review_page
from dashboards.views.common import render_spec, start_page


def review(request: HttpRequest) -> HttpResponse:
    page = start_page(request)
    return render_spec(page, review_page(page))
