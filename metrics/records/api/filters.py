"""Query filters for the record lists (django-filter).

Every list takes `squad` and `area` (slugs) and `from` / `to` (dates,
inclusive, UTC) on the timestamp the KPIs count the record by
(`metrics.records.models.PERIOD_FIELD`; changes: their release's).
"""

from __future__ import annotations

import datetime as dt

import django_filters as filters
from django import forms
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from core import bounds
from core.dates import day_start
from metrics.records.models import PERIOD_FIELD, Change, CustomerResponse, Defect, Incident, Release, TimeAllocation
from squads.models import Squad

UTC = dt.UTC


_day_start = day_start


class WindowDateField(forms.DateField):
    """A date inside the records' window (`core.bounds`): `?to=9999-12-31` is a 400 naming
    the parameter, not an overflow."""

    def clean(self, value: object) -> dt.date | None:
        day = super().clean(value)
        problem = bounds.date_problem(day)
        if problem:
            raise forms.ValidationError(problem, code="out_of_range")
        return day


@extend_schema_field(OpenApiTypes.DATE)
class DayFilter(filters.DateFilter):
    """A day `YYYY-MM-DD` (documented as a date in the OpenAPI schema), inside the window."""

    field_class = WindowDateField


class RecordFilterSet(filters.FilterSet):
    """`squad`, `area`, and `from`/`to` on `date_field` (a DateTimeField or DateField)."""

    date_field: str = ""

    squad = filters.CharFilter(field_name="squad__slug", help_text="Squad slug.")
    area = filters.CharFilter(field_name="squad__area__slug", help_text="Area slug.")

    @classmethod
    def get_filters(cls):
        found = super().get_filters()
        for name, label in (("from", "on or after"), ("to", "on or before")):
            found[name] = DayFilter(
                method=f"filter_{name}",
                help_text=f"Only records with {cls.date_field} {label} this day (YYYY-MM-DD, UTC).",
            )
        return found

    def _is_date(self) -> bool:
        field = self._meta.model._meta.get_field(self.date_field)
        return field.get_internal_type() == "DateField"

    def filter_from(self, queryset: QuerySet, name: str, value: dt.date | None) -> QuerySet:
        if value is None:
            return queryset
        bound = value if self._is_date() else _day_start(value)
        return queryset.filter(**{f"{self.date_field}__gte": bound})

    def filter_to(self, queryset: QuerySet, name: str, value: dt.date | None) -> QuerySet:
        if value is None:
            return queryset
        if self._is_date():
            return queryset.filter(**{f"{self.date_field}__lte": value})
        return queryset.filter(**{f"{self.date_field}__lt": _day_start(value + dt.timedelta(days=1))})


class SquadFilterSet(filters.FilterSet):
    area = filters.CharFilter(field_name="area__slug", help_text="Area slug.")
    active = filters.BooleanFilter()

    class Meta:
        model = Squad
        fields = ["area", "active"]


class ReleaseFilterSet(RecordFilterSet):
    date_field = PERIOD_FIELD[Release]

    class Meta:
        model = Release
        fields = ["squad", "area", "status"]


class ChangeFilterSet(RecordFilterSet):
    """Changes are placed by their release's `released_at` and belong to its squad."""

    date_field = f"release__{PERIOD_FIELD[Release]}"
    squad = filters.CharFilter(field_name="release__squad__slug", help_text="Squad slug (the release's).")
    area = filters.CharFilter(field_name="release__squad__area__slug", help_text="Area slug.")
    release = filters.CharFilter(field_name="release__external_id", help_text="external_id of the release.")

    class Meta:
        model = Change
        fields = ["squad", "area", "release"]

    def _is_date(self) -> bool:
        return False


class IncidentFilterSet(RecordFilterSet):
    date_field = PERIOD_FIELD[Incident]
    open = filters.BooleanFilter(
        field_name="resolved_at", lookup_expr="isnull", help_text="true: unresolved only; false: resolved only."
    )
    caused_by_release = filters.CharFilter(
        field_name="caused_by_release__external_id", help_text="external_id of the causing release."
    )

    class Meta:
        model = Incident
        fields = ["squad", "area", "severity", "customer_impact", "open", "caused_by_release"]


class DefectFilterSet(RecordFilterSet):
    date_field = PERIOD_FIELD[Defect]

    class Meta:
        model = Defect
        fields = ["squad", "area", "severity", "found_in", "found_by"]


class CustomerResponseFilterSet(RecordFilterSet):
    date_field = PERIOD_FIELD[CustomerResponse]
    survey = filters.CharFilter(field_name="survey__slug", help_text="Survey slug.")

    class Meta:
        model = CustomerResponse
        fields = ["squad", "area", "survey", "account", "top_problem"]


class TimeAllocationFilterSet(RecordFilterSet):
    date_field = PERIOD_FIELD[TimeAllocation]
    survey = filters.CharFilter(field_name="survey__slug", help_text="Survey slug.")

    class Meta:
        model = TimeAllocation
        fields = ["squad", "area", "survey"]
