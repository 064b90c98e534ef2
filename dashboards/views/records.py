"""`/records/<kind>/<key>/`: see dashboards.pages.records."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dashboards.pages.records import record_page


def record(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    return render(request, "dashboards/record.html", record_page(request, kind, key))
