"""A minimal authenticated page: the yardstick bench/pages_bench.py compares the dashboards with."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def ping(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"ok {request.user.get_username()}\n", content_type="text/plain")
