"""Admin for survey results, maintained by ops staff: a survey with its
responses (or time allocations) entered inline by hand, and both kinds of
rows listed, filtered, imported and exported on their own.

Hand entry is made for people, not pipelines: a survey's form shows only the
rows of its kind, an `external_id` left blank is generated, and every score
field says its range."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from metrics.records.admin.base import RecordAdmin, ServiceFormsetsMixin, ServiceInlineMixin
from metrics.records.models import PCT_FIELDS, CustomerResponse, Survey, TimeAllocation

#: Existing rows shown for editing in a survey's inline; the rest are on their own list page.
INLINE_ROWS = 20

HELP_TEXTS = {
    "external_id": "Leave blank to have one generated; a pipeline re-sending the same id updates the row.",
    "nps_score": "0–10: how likely to recommend us (9–10 promoter, 0–6 detractor).",
    "csat_score": "1–5: satisfaction (4–5 counts as satisfied).",
    "outcome_score": "1–5: agreement with “the product makes our business more profitable or efficient”.",
    "top_problem": "A short theme, e.g. “invoicing”, “mobile app”.",
    "headcount": "People this response speaks for (at least 1).",
    "month": "The first day of the month the time was spent in.",
    **{name: "0–100; the six shares add up to 100 (± 0.5)." for name in PCT_FIELDS},
}
ID_PREFIX = {"customer_responses": "response", "time_allocations": "allocation"}
INLINE_PREFIX = {Survey.Kind.CUSTOMER: "customer_responses", Survey.Kind.TIME_ALLOCATION: "time_allocations"}


class GeneratedIdForm(forms.ModelForm):
    """A row whose blank `external_id` gets a generated one (`response-…`, `allocation-…`)."""

    id_prefix = "record"

    def clean_external_id(self) -> str:
        value = (self.cleaned_data.get("external_id") or "").strip()
        return value or f"{self.id_prefix}-{uuid.uuid4().hex[:12]}"


class HandEntryMixin:
    """Ops hand entry: help texts with ranges, an optional `external_id` generated when blank."""

    kind: str

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name in HELP_TEXTS:
            field.help_text = HELP_TEXTS[db_field.name]
            if db_field.name == "external_id":
                field.required = False
        return field

    def _generated_id_form(self, form: type) -> type:
        return type(form.__name__, (GeneratedIdForm, form), {"id_prefix": ID_PREFIX[self.kind]})


class RecentRowsFormSet(BaseInlineFormSet):
    """Only the most recent `INLINE_ROWS` rows of the survey, so a survey with
    thousands of responses still opens; new rows are added below them."""

    def get_queryset(self) -> QuerySet:
        if not hasattr(self, "_recent_rows"):
            rows = super().get_queryset()
            self._recent_rows = rows.filter(pk__in=list(rows.values_list("pk", flat=True)[:INLINE_ROWS]))
        return self._recent_rows


class HandEntryInline(HandEntryMixin, ServiceInlineMixin, admin.TabularInline):
    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = self._generated_id_form(formset.form)
        return formset


class CustomerResponseInline(HandEntryInline):
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


class TimeAllocationInline(HandEntryInline):
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

    def _kind(self, request: HttpRequest, obj: Any) -> str:
        """The survey's kind. On the add form: the kind posted when its rows were posted too, else
        the one the URL names (`?kind=`), else a customer survey."""
        if obj is not None:
            return obj.kind
        posted = request.POST.get("kind", "")
        if posted in INLINE_PREFIX and f"{INLINE_PREFIX[posted]}-TOTAL_FORMS" in request.POST:
            return posted
        asked = request.GET.get("kind", "")
        return asked if asked in INLINE_PREFIX else Survey.Kind.CUSTOMER

    def get_inlines(self, request: HttpRequest, obj: Any) -> list[type]:
        if self._kind(request, obj) == Survey.Kind.TIME_ALLOCATION:
            return [TimeAllocationInline]
        return [CustomerResponseInline]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        """On the add form the rows shown are those of the kind in the URL; links open the other."""
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None and "kind" in form.base_fields:
            kind = self._kind(request, obj)
            field = form.base_fields["kind"]
            field.initial = kind
            add_url = reverse("admin:metrics_survey_add")
            field.help_text = format_html(
                "The rows below are those of a {} survey. To enter the other kind, open the form for a {}.",
                Survey.Kind(kind).label.lower(),
                format_html_join(
                    " or a ",
                    '<a href="{}?kind={}">{} survey</a>',
                    ((add_url, value, label.lower()) for value, label in Survey.Kind.choices if value != kind),
                ),
            )
        return form

    @admin.display(description="customer responses", ordering="n_responses")
    def responses(self, survey: Survey) -> str:
        url = reverse("admin:metrics_customerresponse_changelist") + f"?survey__id__exact={survey.pk}"
        return format_html('<a href="{}">{}</a>', url, survey.n_responses or 0)

    @admin.display(description="time allocations", ordering="n_allocations")
    def allocations(self, survey: Survey) -> str:
        url = reverse("admin:metrics_timeallocation_changelist") + f"?survey__id__exact={survey.pk}"
        return format_html('<a href="{}">{}</a>', url, survey.n_allocations or 0)


@admin.register(CustomerResponse)
class CustomerResponseAdmin(HandEntryMixin, RecordAdmin):
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

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        return self._generated_id_form(super().get_form(request, obj, change=change, **kwargs))

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
class TimeAllocationAdmin(HandEntryMixin, RecordAdmin):
    kind = "time_allocations"
    list_display = ("external_id", "survey", "squad", "month", "headcount", *PCT_FIELDS)
    list_filter = ("survey", "squad__area", "squad")
    list_select_related = ("survey", "squad")
    search_fields = ("external_id", "squad__slug")
    date_hierarchy = "month"
    fields = ("external_id", "survey", "squad", "month", "headcount", *PCT_FIELDS)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        return self._generated_id_form(super().get_form(request, obj, change=change, **kwargs))
