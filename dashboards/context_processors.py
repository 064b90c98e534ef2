"""The navigation menus (areas, squads, metrics, "My squad") on every page with the top bar, so
the bets, reviews, alerts and sources pages offer the same way around as the dashboards.

Lazy: the layout is read (from the page cache where there is one, dashboards/shell.py) only when
a page renders the menus, once per request. Dashboard pages pass their own values, which win."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from dashboards import shell
from dashboards.pages.common import my_squads
from metrics.kpis.catalog import KPIS


def nav(request: HttpRequest) -> dict[str, Any]:
    layout = SimpleLazyObject(shell.load)
    return {
        "areas": SimpleLazyObject(lambda: layout.areas),
        "nav_squads": SimpleLazyObject(lambda: layout.squads),
        "my_squads": SimpleLazyObject(lambda: my_squads(request, layout.squads)),
        "nav_kpis": KPIS,
    }
