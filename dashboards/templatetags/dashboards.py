"""Template filters for the dashboards: periods and codes as people read them."""

from __future__ import annotations

from datetime import date

from django import template

from dashboards import formatting
from metrics.kpis.catalog import Kpi

register = template.Library()


@register.filter
def period_label(start: date | None, grain: str) -> str:
    """`{{ period|period_label:controls.grain }}` → "Oct 2026", "W40 2026", "Q4 2026"."""
    return formatting.period_label(start, grain)


@register.filter
def words(code: str) -> str:
    """`{{ release.status|words }}` → "rolled back"."""
    return formatting.words(str(code))


@register.filter
def unit_text(kpi: Kpi) -> str:
    """`{{ kpi|unit_text }}` → "€", "%", "hours", "NPS (−100..100)"."""
    return formatting.unit_text(kpi)
