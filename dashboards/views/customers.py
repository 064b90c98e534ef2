"""`/customers/`: see dashboards.pages.customers."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from dashboards.pages.customers import customers_page
from dashboards.views.common import render_spec, start_page


def customers(request: HttpRequest) -> HttpResponse:
    page = start_page(request)
    return render_spec(page, customers_page(page))
