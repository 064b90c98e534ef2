"""`/metrics/<code>/`: see dashboards.pages.metric."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from dashboards.pages.metric import metric_page
from dashboards.views.common import render_spec, start_page
from metrics.kpis.catalog import CATALOG


def metric(request: HttpRequest, code: str) -> HttpResponse:
    if code not in CATALOG:
        raise Http404(f"no KPI {code!r}")
    page = start_page(request)
    return render_spec(page, metric_page(page, CATALOG[code]))
