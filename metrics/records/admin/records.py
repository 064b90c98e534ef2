"""Admin for the squad records PMs maintain: releases, incidents, defects."""

from __future__ import annotations

from django.contrib import admin

from metrics.records.admin.base import RecordAdmin
from metrics.records.admin.scope import SquadScopedAdminMixin
from metrics.records.models import Defect, Incident, Release


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
