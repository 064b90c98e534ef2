"""Template filters for the dashboards: periods and codes as people read them."""

from __future__ import annotations

from datetime import date

from django import template

from dashboards import formatting

register = template.Library()


@register.filter
def period_label(start: date | None, grain: str) -> str:
    """`{{ period|period_label:controls.grain }}` → "Oct 2026", "W40 2026", "Q4 2026"."""
    return formatting.period_label(start, grain)


@register.filter
def words(code: str) -> str:
    """`{{ release.status|words }}` → "rolled back"."""
    return formatting.words(str(code))
