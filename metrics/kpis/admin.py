"""Admin for what the KPI engine reads and writes: targets and the baseline
(maintained by ops staff), snapshots, rollup runs and dirty ranges (read-only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from core.admin import ReadOnlyAdmin
from metrics.kpis.catalog import KPIS
from metrics.kpis.models import Baseline, DirtyRange, KpiSnapshot, RollupRun, Target

_METRIC_CHOICES = [(kpi.code, f"{kpi.code} — {kpi.label}") for kpi in KPIS]


class TargetForm(forms.ModelForm):
    metric = forms.ChoiceField(choices=_METRIC_CHOICES, help_text="A KPI code from the catalog.")

    class Meta:
        model = Target
        fields = ("metric", "squad", "value", "at_risk_margin_pct")


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    form = TargetForm
    list_display = ("metric", "squad", "value", "at_risk_margin_pct")
    list_filter = ("metric", ("squad", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("squad",)
    search_fields = ("metric", "squad__slug")


class BaselineForm(forms.ModelForm):
    class Meta:
        model = Baseline
        fields = ("name", "start", "end", "active")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:  # the DB constraint `baseline_ordered`, said on the field
            self.add_error("end", "must not be before start.")
        return cleaned


@admin.register(Baseline)
class BaselineAdmin(admin.ModelAdmin):
    form = BaselineForm
    list_display = ("name", "start", "end", "active")
    list_filter = ("active",)
    search_fields = ("name",)
    date_hierarchy = "start"


@admin.register(KpiSnapshot)
class KpiSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("metric", "scope", "grain", "period_start", "value", "sample_size", "computed_at")
    list_filter = ("grain", "metric", "scope")
    search_fields = ("metric", "scope")
    date_hierarchy = "period_start"
    show_full_result_count = False  # the table has one row per metric × scope × period


@admin.register(RollupRun)
class RollupRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "kind", "status", "finished_at", "snapshots_written")
    list_filter = ("kind", "status")
    search_fields = ("error",)
    date_hierarchy = "started_at"


@admin.register(DirtyRange)
class DirtyRangeAdmin(ReadOnlyAdmin):
    list_display = ("scope", "start", "end", "created_at")
    search_fields = ("scope",)
    date_hierarchy = "created_at"

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # No role holds a permission on dirty ranges; superusers may look at the queue.
        return bool(request.user.is_active and request.user.is_superuser)
