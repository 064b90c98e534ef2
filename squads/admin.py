"""Admin for areas, maintained by ops staff.

Squads are a record kind, saved through the records services: their admin is
`metrics.records.admin.squads` (this app must not depend on `metrics`).
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from squads.models import Area


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
