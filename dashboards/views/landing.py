"""Sign-in and landing: after signing in at the front door, a PM lands on their squad(s);
everyone else on the org overview. `/my-squads/` lists a PM's squads with their verdicts."""

from __future__ import annotations

from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from audit.forms import LockoutAuthenticationForm
from dashboards import selectors
from dashboards.pages.common import my_squads
from dashboards.pages.landing import my_squads_page
from dashboards.views.common import render_spec, start_page


class SignInView(LoginView):
    """Django's sign-in (with the lockout form); coming in at `/` means "no page asked for", so the
    user goes to their landing page instead."""

    authentication_form = LockoutAuthenticationForm

    def get_redirect_url(self) -> str:
        url = super().get_redirect_url()
        return "" if url == "/" else url


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
