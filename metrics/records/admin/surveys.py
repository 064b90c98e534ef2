"""Admin for survey results, maintained by ops staff: a survey with its
responses (or time allocations) entered inline by hand, and both kinds of
rows listed, filtered, imported and exported on their own."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from metrics.records.admin.base import RecordAdmin, ServiceFormsetsMixin, ServiceInlineMixin
from metrics.records.models import PCT_FIELDS, CustomerResponse, Survey, TimeAllocation

#: Existing rows shown for editing in a survey's inline; the rest are on their own list page.
INLINE_ROWS = 20


class RecentRowsFormSet(BaseInlineFormSet):
    """Only the most recent `INLINE_ROWS` rows of the survey, so a survey with
    thousands of responses still opens; new rows are added below them."""

    def get_queryset(self) -> QuerySet:
        if not hasattr(self, "_recent_rows"):
            rows = super().get_queryset()
            self._recent_rows = rows.filter(pk__in=list(rows.values_list("pk", flat=True)[:INLINE_ROWS]))
        return self._recent_rows


class CustomerResponseInline(ServiceInlineMixin, admin.TabularInline):
    kind = "customer_responses"
    model = CustomerResponse
    formset = RecentRowsFormSet
    extra = 3
    fields = (
        "external_id",
        "submitted_at",
        "account",
        "squad",
        "nps_score",
        "csat_score",
        "outcome_score",
        "top_problem",
        "comment",
    )
    verbose_name_plural = f"Customer responses (the latest {INLINE_ROWS}; add new ones below)"


class TimeAllocationInline(ServiceInlineMixin, admin.TabularInline):
    kind = "time_allocations"
    model = TimeAllocation
    formset = RecentRowsFormSet
    extra = 3
    fields = ("external_id", "squad", "month", "headcount", *PCT_FIELDS)
    verbose_name_plural = f"Time allocations (the latest {INLINE_ROWS}; add new ones below)"


def _count_of(model: type) -> Subquery:
    rows = model.objects.filter(survey=OuterRef("pk")).order_by().values("survey").annotate(n=Count("pk"))
    return Subquery(rows.values("n"), output_field=IntegerField())


@admin.register(Survey)
class SurveyAdmin(ServiceFormsetsMixin, admin.ModelAdmin):
    list_display = ("slug", "name", "kind", "responses", "allocations")
    list_filter = ("kind",)
    search_fields = ("slug", "name")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_responses=_count_of(CustomerResponse),
                n_allocations=_count_of(TimeAllocation),
            )
        )

    def get_inlines(self, request: HttpRequest, obj: Any) -> list[type]:
        if obj is None:  # the kind is chosen on this form: offer both
            return [CustomerResponseInline, TimeAllocationInline]
        if obj.kind == Survey.Kind.TIME_ALLOCATION:
            return [TimeAllocationInline]
        return [CustomerResponseInline]

    @admin.display(description="customer responses", ordering="n_responses")
    def responses(self, survey: Survey) -> str:
        url = reverse("admin:metrics_customerresponse_changelist") + f"?survey__id__exact={survey.pk}"
        return format_html('<a href="{}">{}</a>', url, survey.n_responses or 0)

    @admin.display(description="time allocations", ordering="n_allocations")
    def allocations(self, survey: Survey) -> str:
        url = reverse("admin:metrics_timeallocation_changelist") + f"?survey__id__exact={survey.pk}"
        return format_html('<a href="{}">{}</a>', url, survey.n_allocations or 0)


@admin.register(CustomerResponse)
class CustomerResponseAdmin(RecordAdmin):
    kind = "customer_responses"
    list_display = (
        "external_id",
        "survey",
        "submitted_at",
        "account",
        "squad",
        "nps_score",
        "csat_score",
        "outcome_score",
        "top_problem",
    )
    list_filter = ("survey", "squad__area", "squad", "nps_score", "csat_score", "outcome_score")
    list_select_related = ("survey", "squad")
    search_fields = ("external_id", "account", "top_problem", "comment")
    date_hierarchy = "submitted_at"
    fields = (
        "external_id",
        "survey",
        "submitted_at",
        "account",
        "squad",
        "nps_score",
        "csat_score",
        "outcome_score",
        "top_problem",
        "comment",
    )


@admin.register(TimeAllocation)
class TimeAllocationAdmin(RecordAdmin):
    kind = "time_allocations"
    list_display = ("external_id", "survey", "squad", "month", "headcount", *PCT_FIELDS)
    list_filter = ("survey", "squad__area", "squad")
    list_select_related = ("survey", "squad")
    search_fields = ("external_id", "squad__slug")
    date_hierarchy = "month"
    fields = ("external_id", "survey", "squad", "month", "headcount", *PCT_FIELDS)
