"""Admin for the org structure, maintained by ops staff: areas and squads.

Squads are a record kind (SPEC §2 `squads`): saved through `metrics.services`
like every other record, importable and exportable as CSV. A squad's PM user
is derived from `pm_email`, so it is shown but not edited directly.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from metrics.admin.base import RecordAdmin
from squads.models import Area, Squad


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "squad_count")
    search_fields = ("slug", "name")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(n_squads=Count("squads"))

    @admin.display(description="squads", ordering="n_squads")
    def squad_count(self, area: Area) -> int:
        return area.n_squads


@admin.register(Squad)
class SquadAdmin(RecordAdmin):
    kind = "squads"
    list_display = ("slug", "name", "area", "pm_email", "pm", "monthly_cost_per_head", "active")
    list_filter = ("active", "area")
    list_select_related = ("area", "pm")
    search_fields = ("slug", "name", "pm_email", "area__slug")
    fields = ("slug", "name", "area", "pm_email", "pm", "monthly_cost_per_head", "active")
    readonly_fields = ("pm",)
    show_full_result_count = True  # a few dozen squads
