"""`/squads/<slug>/`: see dashboards.pages.squad."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from dashboards.pages.squad import squad_page
from dashboards.views.common import render_spec, start_page
from squads.models import Squad


def squad(request: HttpRequest, slug: str) -> HttpResponse:
    the_squad = get_object_or_404(Squad.objects.select_related("area"), slug=slug)
    page = start_page(request)
    return render_spec(page, squad_page(page, the_squad))
