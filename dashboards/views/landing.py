"""Landing: after signing in at the front door (productops/signin.py), a PM lands on their
squad(s); everyone else on the org overview. `/my-squads/` lists a PM's squads with their verdicts."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from dashboards import selectors
from dashboards.pages.common import my_squads
from dashboards.pages.landing import my_squads_page
from dashboards.views.common import render_spec, start_page


def home(request: HttpRequest) -> HttpResponse:
    mine = my_squads(request, selectors.squads_for())
    if len(mine) == 1:
        return redirect("dashboards:squad", slug=mine[0].slug)
    return redirect("dashboards:my_squads" if mine else "dashboards:overview")


def my_squads_view(request: HttpRequest) -> HttpResponse:
    page = start_page(request)
    if not page.context["my_squads"]:
        return redirect("dashboards:overview")
    return render_spec(page, my_squads_page(page))
