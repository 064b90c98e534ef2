"""Scope names (`org`, `area:<slug>`, `squad:<slug>`; `squad:*` for alert rules) checked
against the areas and squads that exist."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from squads.models import Area, Squad

EVERY_SQUAD = "squad:*"


def check_scope(scope: object, *, field: str = "scope", allow_every_squad: bool = False) -> str:
    """The scope, if it names something that exists; ValidationError naming `field` otherwise."""
    if not isinstance(scope, str) or not scope:
        raise ValidationError({field: ["a scope is required: org, area:<slug> or squad:<slug>"]})
    if scope == "org":
        return scope
    if scope == EVERY_SQUAD:
        if allow_every_squad:
            return scope
        raise ValidationError({field: ["squad:* (every squad) is only for alert rules"]})
    kind, _, slug = scope.partition(":")
    if kind == "area" and Area.objects.filter(slug=slug).exists():
        return scope
    if kind == "squad" and Squad.objects.filter(slug=slug).exists():
        return scope
    if kind in {"area", "squad"}:
        raise ValidationError({field: [f"no {kind} {slug!r}"]})
    raise ValidationError({field: [f"{scope!r} is not a scope: org, area:<slug> or squad:<slug>"]})


def scope_label(scope: str) -> str:
    if scope == "org":
        return "whole org"
    if scope == EVERY_SQUAD:
        return "every squad"
    kind, _, slug = scope.partition(":")
    return f"{kind} {slug}"


def scope_path(scope: str) -> str:
    """The dashboard page of a scope."""
    kind, _, slug = scope.partition(":")
    if kind == "squad" and slug != "*":
        return f"/squads/{slug}/"
    if kind == "area":
        return f"/areas/{slug}/"
    return "/"
