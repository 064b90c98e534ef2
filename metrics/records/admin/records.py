"""Admin for the squad records PMs maintain: releases, changes, incidents, defects."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest

from metrics.records.admin.base import RecordAdmin
from metrics.records.admin.scope import SquadScopedAdminMixin, model_label
from metrics.records.models import Change, Defect, Incident, Release
from squads.roles import can_write_squad_record, is_unrestricted, own_squad_ids


class SquadRecordAdmin(SquadScopedAdminMixin, RecordAdmin):
    """A record of one squad: filterable by squad and area, writable by its PM."""

    list_select_related = ("squad", "squad__area")


@admin.register(Release)
class ReleaseAdmin(SquadRecordAdmin):
    kind = "releases"
    list_display = ("external_id", "squad", "version", "released_at", "first_commit_at", "status")
    list_filter = ("status", "squad__area", "squad")
    search_fields = ("external_id", "version", "squad__slug")
    date_hierarchy = "released_at"
    fields = ("external_id", "squad", "version", "released_at", "first_commit_at", "status")


@admin.register(Change)
class ChangeAdmin(SquadRecordAdmin):
    """Changes belong to their release's squad: the PM scope follows the release."""

    kind = "changes"
    list_display = ("external_id", "title", "release", "squad", "first_commit_at", "merged_at")
    list_filter = ("release__squad__area", "release__squad")
    list_select_related = ("release", "release__squad", "release__squad__area")
    search_fields = ("external_id", "title", "release__external_id", "release__squad__slug")
    autocomplete_fields = ("release",)
    fields = ("external_id", "release", "first_commit_at", "merged_at", "title")

    @admin.display(description="squad", ordering="release__squad__slug")
    def squad(self, obj: Change) -> Any:
        return obj.release.squad

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "release" and not is_unrestricted(request.user):
            kwargs["queryset"] = Release.objects.filter(squad_id__in=own_squad_ids(request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        user = request.user

        class ReleaseScopedForm(form):
            def clean(self) -> dict[str, Any]:
                cleaned = super().clean()
                release = cleaned.get("release")
                if release is not None and not can_write_squad_record(user, "metrics.change", release.squad_id):
                    self.add_error("release", forms.ValidationError("you may only write records of your own squads."))
                return cleaned

        ReleaseScopedForm.__name__ = form.__name__
        return ReleaseScopedForm

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        squad_ids = set(queryset.values_list("release__squad_id", flat=True))
        if any(not can_write_squad_record(request.user, model_label(self.model), sid) for sid in squad_ids):
            raise PermissionDenied("you may only delete records of your own squads.")
        admin.ModelAdmin.delete_queryset(self, request, queryset)


@admin.register(Incident)
class IncidentAdmin(SquadRecordAdmin):
    kind = "incidents"
    list_display = (
        "external_id",
        "title",
        "squad",
        "severity",
        "started_at",
        "resolved_at",
        "customer_impact",
        "caused_by_release",
    )
    list_filter = ("severity", "customer_impact", ("resolved_at", admin.EmptyFieldListFilter), "squad__area", "squad")
    list_select_related = ("squad", "squad__area", "caused_by_release", "caused_by_release__squad")
    search_fields = ("external_id", "title", "squad__slug", "caused_by_release__external_id")
    date_hierarchy = "started_at"
    autocomplete_fields = ("caused_by_release",)
    fields = (
        "external_id",
        "squad",
        "severity",
        "started_at",
        "resolved_at",
        "customer_impact",
        "caused_by_release",
        "title",
    )


@admin.register(Defect)
class DefectAdmin(SquadRecordAdmin):
    kind = "defects"
    list_display = ("external_id", "title", "squad", "severity", "found_at", "found_in", "found_by", "resolved_at")
    list_filter = (
        "severity",
        "found_in",
        "found_by",
        ("resolved_at", admin.EmptyFieldListFilter),
        "squad__area",
        "squad",
    )
    search_fields = ("external_id", "title", "squad__slug")
    date_hierarchy = "found_at"
    fields = ("external_id", "squad", "severity", "found_at", "found_in", "found_by", "resolved_at", "title")
