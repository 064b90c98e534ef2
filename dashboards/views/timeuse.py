"""`/time/`: see dashboards.pages.timeuse."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from dashboards.pages.timeuse import time_page
from dashboards.views.common import render_spec, start_page


def time_allocation(request: HttpRequest) -> HttpResponse:
    page = start_page(request)
    return render_spec(page, time_page(page))
