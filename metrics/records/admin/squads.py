"""Admin for squads, maintained by ops staff.

Squads are a record kind (see docs/records.md): saved through
`metrics.records.services` like every other record, importable and exportable as
CSV. That is why their admin lives with the records and not in the `squads` app,
which must not depend on `metrics`. A squad's PM user is derived from `pm_email`,
so it is shown but not edited directly.
"""

from __future__ import annotations

from django.contrib import admin

from metrics.records.admin.base import RecordAdmin
from squads.models import Squad


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
