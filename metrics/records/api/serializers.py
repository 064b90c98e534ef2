"""Record serializers: the docs/records.md columns as JSON fields.

The declared fields give the JSON shape of a record and the OpenAPI schema.
They do not validate: input goes, keyed by column, to `metrics.records.services.save_record`,
the one validation path shared with the admin and the CSV import, and its
errors come back as DRF's 400 (a message per field) or 403.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import QueryDict
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers

from metrics.records import services
from metrics.records.models import EXTERNAL_ID_LENGTH, Defect, Release

_SCALARS = (str, int, float, bool, type(None))


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-03"})
class MonthField(serializers.Field):
    """A month as `YYYY-MM` (stored as its first day)."""

    def to_representation(self, value: dt.date) -> str:
        return f"{value.year:04d}-{value.month:02d}"

    def to_internal_value(self, data: Any) -> Any:  # pragma: no cover - input goes to the service
        return data


def _error_messages(error: DjangoValidationError) -> dict[str, list[str]]:
    """Django's ValidationError as DRF's `{field: [messages]}`."""
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): [str(m) for m in messages]
            for field, messages in error.message_dict.items()
        }
    return {"non_field_errors": [str(m) for m in error.messages]}


class RecordSerializer(serializers.Serializer):
    """Base for the six kinds. Subclasses name their `kind` (see docs/records.md) and `key`
    column, and declare every column (in CSV order) plus read-only `id`."""

    kind: ClassVar[str]
    key: ClassVar[str] = "external_id"

    id = serializers.IntegerField(read_only=True)

    @classmethod
    def columns(cls) -> list[str]:
        return [name for name, field in cls._declared_fields.items() if not field.read_only]

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        """Check the shape only (an object of known columns with scalar values);
        the values themselves are the service's to judge."""
        if isinstance(data, QueryDict):
            data = data.dict()
        if not isinstance(data, Mapping):
            raise exceptions.ValidationError(
                {"non_field_errors": [f"expected a JSON object of fields, got {type(data).__name__}."]}
            )
        columns = self.columns()
        read_only = {name for name, field in self.fields.items() if field.read_only}
        errors: dict[str, list[str]] = {}
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name in read_only:
                continue
            if name not in columns:
                errors[str(name)] = [f"unknown field; the fields are: {', '.join(columns)}."]
            elif not isinstance(value, _SCALARS):
                errors[name] = ["must be a single value (text, number, boolean or null)."]
            else:
                values[name] = value
        if errors:
            raise exceptions.ValidationError(errors)
        return values

    def _complete(self, values: dict[str, Any], instance: models.Model | None) -> dict[str, Any]:
        """A full write (POST, PUT) replaces the record: a column left out means "no value".
        The key defaults to the record's own (from the URL)."""
        if self.partial:
            return values
        full = {name: values.get(name) for name in self.columns()}
        if instance is not None and full.get(self.key) is None:
            full[self.key] = getattr(instance, self.key)
        return full

    def _save(self, values: dict[str, Any], instance: models.Model | None) -> models.Model:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if (
            instance is not None
            and values.get(self.key) is not None
            and str(values[self.key]).strip() != getattr(instance, self.key)
        ):
            raise exceptions.ValidationError(
                {self.key: [f"does not match this record's {self.key}; it cannot be changed."]}
            )
        try:
            return services.save_record(
                kind=self.kind, data=self._complete(values, instance), user=user, instance=instance
            )
        except DjangoValidationError as error:
            raise exceptions.ValidationError(_error_messages(error)) from error
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error) or None) from error

    def create(self, validated_data: dict[str, Any]) -> models.Model:
        return self._save(validated_data, None)

    def update(self, instance: models.Model, validated_data: dict[str, Any]) -> models.Model:
        return self._save(validated_data, instance)


def _external_id() -> serializers.CharField:
    return serializers.CharField(
        max_length=EXTERNAL_ID_LENGTH, help_text="Your system's id for the record; posting it again updates."
    )


def _squad(required: bool = True) -> serializers.CharField:
    return serializers.CharField(
        source="squad.slug",
        required=required,
        allow_null=not required,
        help_text="Slug of an existing squad." + ("" if required else " Optional."),
    )


def _severity() -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=4, help_text="1 is worst, 4 is least severe.")


def _optional_timestamp(help_text: str) -> serializers.DateTimeField:
    return serializers.DateTimeField(required=False, allow_null=True, help_text=help_text)


class SquadSerializer(RecordSerializer):
    """A squad (key `slug`); `area` is an area slug, created when new."""

    kind = "squads"
    key = "slug"

    slug = serializers.SlugField(max_length=64, help_text="The squad's key.")
    name = serializers.CharField(max_length=200)
    area = serializers.CharField(source="area.slug", help_text="Area slug; created when new.")
    pm_email = serializers.EmailField(
        required=False, allow_blank=True, help_text="Links the user with this email as the squad's PM."
    )
    monthly_cost_per_head = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, help_text="In the org's currency."
    )
    active = serializers.BooleanField(required=False, help_text="Default true.")


class ReleaseSerializer(RecordSerializer):
    """A release (deploy) of a squad."""

    kind = "releases"

    external_id = _external_id()
    squad = _squad()
    version = serializers.CharField(max_length=100)
    released_at = serializers.DateTimeField(help_text="ISO 8601; naive means UTC.")
    first_commit_at = _optional_timestamp("Optional; not after released_at.")
    status = serializers.ChoiceField(choices=Release.Status.choices)


class ChangeSerializer(RecordSerializer):
    """A change (commit or merge/pull request) shipped by a release; it belongs to the release's squad."""

    kind = "changes"

    external_id = _external_id()
    release = serializers.CharField(
        source="release.external_id", help_text="external_id of an existing release that shipped it."
    )
    first_commit_at = serializers.DateTimeField(help_text="ISO 8601; not after the release's released_at.")
    merged_at = _optional_timestamp("Optional; between first_commit_at and the release's released_at.")
    title = serializers.CharField(max_length=300, required=False, allow_blank=True)


class IncidentSerializer(RecordSerializer):
    """An incident; `resolved_at` stays empty while it is open."""

    kind = "incidents"

    external_id = _external_id()
    squad = _squad()
    severity = _severity()
    started_at = serializers.DateTimeField(help_text="ISO 8601; naive means UTC.")
    resolved_at = _optional_timestamp("Empty while open; not before started_at.")
    customer_impact = serializers.BooleanField(required=False, help_text="Default false.")
    caused_by_release = serializers.CharField(
        source="caused_by_release.external_id",
        required=False,
        allow_null=True,
        help_text="Optional external_id of the release that caused it.",
    )
    title = serializers.CharField(max_length=300, required=False, allow_blank=True)


class DefectSerializer(RecordSerializer):
    """A defect; a customer-found one must be found in production."""

    kind = "defects"

    external_id = _external_id()
    squad = _squad()
    severity = _severity()
    found_at = serializers.DateTimeField(help_text="ISO 8601; naive means UTC.")
    found_in = serializers.ChoiceField(
        choices=Defect.FoundIn.choices, help_text="A customer-found defect must be found in production."
    )
    found_by = serializers.ChoiceField(choices=Defect.FoundBy.choices)
    resolved_at = _optional_timestamp("Optional; not before found_at.")
    title = serializers.CharField(max_length=300, required=False, allow_blank=True)


def _score(low: int, high: int, help_text: str) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=low, max_value=high, required=False, allow_null=True, help_text=help_text)


class CustomerResponseSerializer(RecordSerializer):
    """A customer survey response; at least one of the three scores."""

    kind = "customer_responses"

    external_id = _external_id()
    survey = serializers.CharField(source="survey.slug", help_text="Survey slug; created when new.")
    submitted_at = serializers.DateTimeField(help_text="ISO 8601; naive means UTC.")
    account = serializers.CharField(max_length=200, required=False, allow_blank=True)
    squad = _squad(required=False)
    nps_score = _score(0, 10, "0..10; at least one of the three scores is required.")
    csat_score = _score(1, 5, "1..5.")
    outcome_score = _score(1, 5, 'Agreement with "the product makes our business more profitable or efficient".')
    top_problem = serializers.CharField(max_length=100, required=False, allow_blank=True)
    comment = serializers.CharField(required=False, allow_blank=True)


def _pct() -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, help_text="0..100; the six add up to 100."
    )


class TimeAllocationSerializer(RecordSerializer):
    """How a squad spent a month, in percent adding up to 100."""

    kind = "time_allocations"

    external_id = _external_id()
    survey = serializers.CharField(source="survey.slug", help_text="Survey slug; created when new.")
    squad = _squad()
    month = MonthField(help_text="YYYY-MM")
    headcount = serializers.IntegerField(min_value=1, help_text="People this response speaks for.")
    pct_features = _pct()
    pct_quality = _pct()
    pct_support = _pct()
    pct_onboarding = _pct()
    pct_ktlo = _pct()
    pct_other = _pct()
