"""The records of docs/records.md.

Each rule is stated twice on purpose, in two layers: `clean()` / field
validators give a friendly error naming the field (used by every write path via
`metrics.records.services`), and a database constraint makes the rule impossible to
break from any path, the shell included. `tests/metrics/records/test_record_rules.py`
checks that both layers agree.
"""

from __future__ import annotations

import operator
from decimal import Decimal
from functools import reduce

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual

from core.loaded_values import RemembersLoadedValues
from squads.models import Squad

EXTERNAL_ID_LENGTH = 128


def _severity_field() -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text="1 is worst, 4 is least severe.",
    )


class Release(RemembersLoadedValues, models.Model):
    class Status(models.TextChoices):
        SUCCEEDED = "succeeded"
        ROLLED_BACK = "rolled_back"

    external_id = models.CharField(max_length=EXTERNAL_ID_LENGTH, unique=True)
    squad = models.ForeignKey(Squad, on_delete=models.PROTECT, related_name="releases")
    version = models.CharField(max_length=100)
    released_at = models.DateTimeField(db_index=True)
    first_commit_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices)

    class Meta:
        ordering = ["-released_at"]
        indexes = [models.Index(fields=["squad", "released_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["succeeded", "rolled_back"]), name="release_status_valid"),
            models.CheckConstraint(
                condition=Q(first_commit_at__isnull=True) | Q(first_commit_at__lte=F("released_at")),
                name="release_first_commit_not_after_release",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.squad_id and self.squad.slug} {self.version}"

    def clean(self) -> None:
        if self.first_commit_at and self.released_at and self.first_commit_at > self.released_at:
            raise ValidationError({"first_commit_at": "must not be after released_at."})
        moved = self._loaded_values is not None and self._loaded_values.get("released_at") != self.released_at
        if self.pk and self.released_at and moved:
            late = self.changes.filter(Q(first_commit_at__gt=self.released_at) | Q(merged_at__gt=self.released_at))
            if late.exists():
                raise ValidationError(
                    {"released_at": "must not be before the first commit or merge of one of its changes."}
                )


class Change(RemembersLoadedValues, models.Model):
    """One change (a commit or a merge/pull request) shipped by a release.

    It belongs to its release's squad (there is no squad column to disagree);
    `first_commit_at` ≤ the release's `released_at`, `merged_at` between the
    two. The same-row rule is a check constraint; the rules against the release
    are checked here and by `Release.clean` when a release moves earlier.
    """

    external_id = models.CharField(max_length=EXTERNAL_ID_LENGTH, unique=True)
    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="changes")
    first_commit_at = models.DateTimeField()
    merged_at = models.DateTimeField(null=True, blank=True)
    title = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-first_commit_at"]
        indexes = [models.Index(fields=["release", "first_commit_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(merged_at__isnull=True) | Q(merged_at__gte=F("first_commit_at")),
                name="change_merged_not_before_first_commit",
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.external_id

    def _release_facts(self) -> tuple[int | None, object]:
        """(squad id, released_at) of the release, without a query when the write path resolved it."""
        if self.release_id is None:
            return None, None
        cached = getattr(self, "_ref_release", None)
        if cached is not None and cached[0] == self.release_id:
            return cached[1], cached[2]
        if self._meta.get_field("release").is_cached(self):
            return self.release.squad_id, self.release.released_at
        row = Release.objects.filter(pk=self.release_id).values_list("squad_id", "released_at").first()
        return (row[0], row[1]) if row else (None, None)

    @property
    def squad_id(self) -> int | None:
        """The squad of the change: its release's."""
        return self._release_facts()[0]

    def clean(self) -> None:
        errors: dict[str, str] = {}
        _, released_at = self._release_facts()
        if self.first_commit_at and released_at and self.first_commit_at > released_at:
            errors["first_commit_at"] = "must not be after the release's released_at."
        if self.merged_at and self.first_commit_at and self.merged_at < self.first_commit_at:
            errors["merged_at"] = "must not be before first_commit_at."
        elif self.merged_at and released_at and self.merged_at > released_at:
            errors["merged_at"] = "must not be after the release's released_at."
        if errors:
            raise ValidationError(errors)


class Incident(RemembersLoadedValues, models.Model):
    external_id = models.CharField(max_length=EXTERNAL_ID_LENGTH, unique=True)
    squad = models.ForeignKey(Squad, on_delete=models.PROTECT, related_name="incidents")
    severity = _severity_field()
    started_at = models.DateTimeField(db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True, db_index=True)
    customer_impact = models.BooleanField(default=False)
    caused_by_release = models.ForeignKey(
        Release, null=True, blank=True, on_delete=models.PROTECT, related_name="incidents"
    )
    title = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["squad", "started_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(severity__gte=1, severity__lte=4), name="incident_severity_1_4"),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("started_at")),
                name="incident_resolved_not_before_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.external_id

    def clean(self) -> None:
        if self.resolved_at and self.started_at and self.resolved_at < self.started_at:
            raise ValidationError({"resolved_at": "must not be before started_at."})


class Defect(RemembersLoadedValues, models.Model):
    class FoundIn(models.TextChoices):
        DEVELOPMENT = "development"
        TESTING = "testing"
        STAGING = "staging"
        PRODUCTION = "production"

    class FoundBy(models.TextChoices):
        INTERNAL = "internal"
        CUSTOMER = "customer"

    external_id = models.CharField(max_length=EXTERNAL_ID_LENGTH, unique=True)
    squad = models.ForeignKey(Squad, on_delete=models.PROTECT, related_name="defects")
    severity = _severity_field()
    found_at = models.DateTimeField(db_index=True)
    found_in = models.CharField(max_length=16, choices=FoundIn.choices)
    found_by = models.CharField(max_length=16, choices=FoundBy.choices)
    resolved_at = models.DateTimeField(null=True, blank=True)
    title = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-found_at"]
        indexes = [models.Index(fields=["squad", "found_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(severity__gte=1, severity__lte=4), name="defect_severity_1_4"),
            models.CheckConstraint(
                condition=Q(found_in__in=["development", "testing", "staging", "production"]),
                name="defect_found_in_valid",
            ),
            models.CheckConstraint(condition=Q(found_by__in=["internal", "customer"]), name="defect_found_by_valid"),
            models.CheckConstraint(
                condition=~Q(found_by="customer") | Q(found_in="production"),
                name="defect_customer_found_in_production",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("found_at")),
                name="defect_resolved_not_before_found",
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.external_id

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.found_by == self.FoundBy.CUSTOMER and self.found_in != self.FoundIn.PRODUCTION:
            errors["found_in"] = "a customer-found defect must have found_in=production."
        if self.resolved_at and self.found_at and self.resolved_at < self.found_at:
            errors["resolved_at"] = "must not be before found_at."
        if errors:
            raise ValidationError(errors)


class Survey(models.Model):
    class Kind(models.TextChoices):
        CUSTOMER = "customer"
        TIME_ALLOCATION = "time_allocation"

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CUSTOMER)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name or self.slug


class CustomerResponse(RemembersLoadedValues, models.Model):
    external_id = models.CharField(max_length=EXTERNAL_ID_LENGTH, unique=True)
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="customer_responses")
    submitted_at = models.DateTimeField(db_index=True)
    account = models.CharField(max_length=200, blank=True)
    squad = models.ForeignKey(Squad, null=True, blank=True, on_delete=models.PROTECT, related_name="customer_responses")
    nps_score = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    csat_score = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    outcome_score = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text='Agreement with "the product makes our business more profitable or efficient".',
    )
    top_problem = models.CharField(max_length=100, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["squad", "submitted_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(nps_score__isnull=True) | Q(nps_score__gte=0, nps_score__lte=10),
                name="response_nps_0_10",
            ),
            models.CheckConstraint(
                condition=Q(csat_score__isnull=True) | Q(csat_score__gte=1, csat_score__lte=5),
                name="response_csat_1_5",
            ),
            models.CheckConstraint(
                condition=Q(outcome_score__isnull=True) | Q(outcome_score__gte=1, outcome_score__lte=5),
                name="response_outcome_1_5",
            ),
            models.CheckConstraint(
                condition=Q(nps_score__isnull=False) | Q(csat_score__isnull=False) | Q(outcome_score__isnull=False),
                name="response_has_a_score",
            ),
        ]

    def __str__(self) -> str:
        return self.external_id

    def clean(self) -> None:
        if self.nps_score is None and self.csat_score is None and self.outcome_score is None:
            raise ValidationError({"nps_score": "at least one of nps_score, csat_score, outcome_score is required."})


PCT_FIELDS = ("pct_features", "pct_quality", "pct_support", "pct_onboarding", "pct_ktlo", "pct_other")
PCT_TOLERANCE = Decimal("0.5")
_PCT_TOTAL = reduce(operator.add, (F(name) for name in PCT_FIELDS))


def _pct_field() -> models.DecimalField:
    return models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )


class TimeAllocation(RemembersLoadedValues, models.Model):
    external_id = models.CharField(max_length=EXTERNAL_ID_LENGTH, unique=True)
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="time_allocations")
    squad = models.ForeignKey(Squad, on_delete=models.PROTECT, related_name="time_allocations")
    month = models.DateField(db_index=True, help_text="The first day of the month the response covers.")
    headcount = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    pct_features = _pct_field()
    pct_quality = _pct_field()
    pct_support = _pct_field()
    pct_onboarding = _pct_field()
    pct_ktlo = _pct_field()
    pct_other = _pct_field()

    class Meta:
        ordering = ["-month", "squad_id"]
        indexes = [models.Index(fields=["squad", "month"])]
        constraints = [
            models.CheckConstraint(condition=Q(headcount__gte=1), name="allocation_headcount_positive"),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{name}__gte": 0, f"{name}__lte": 100}), name=f"allocation_{name}_0_100"
                )
                for name in PCT_FIELDS
            ],
            models.CheckConstraint(
                condition=Q(
                    GreaterThanOrEqual(_PCT_TOTAL, 100 - PCT_TOLERANCE),
                    LessThanOrEqual(_PCT_TOTAL, 100 + PCT_TOLERANCE),
                ),
                name="allocation_pct_sum_100",
            ),
        ]

    def __str__(self) -> str:
        return self.external_id

    def total_pct(self) -> Decimal:
        return sum((getattr(self, name) or Decimal(0) for name in PCT_FIELDS), Decimal(0))

    def clean(self) -> None:
        if self.month and self.month.day != 1:
            raise ValidationError({"month": "must be the first day of a month (YYYY-MM)."})
        if all(getattr(self, name) is not None for name in PCT_FIELDS):
            total = self.total_pct()
            if abs(total - 100) > PCT_TOLERANCE:
                raise ValidationError({"pct_other": f"percentages must add up to 100 (±0.5), got {total}."})


#: Which timestamp places a record of each kind in a period — the one rule the KPI engine (frames,
#: dirty marking), the dashboards' record lists and the API's date filters all use. It lives here,
#: beside the records, so that the records' own API can use it without importing the engine.
PERIOD_FIELD: dict[type[models.Model], str] = {
    Release: "released_at",
    Incident: "started_at",
    Defect: "found_at",
    CustomerResponse: "submitted_at",
    TimeAllocation: "month",
}


class ImportJob(models.Model):
    """A CSV import run in the background (a file above IMPORT_ASYNC_THRESHOLD_BYTES uploaded in
    the admin; `metrics.records.jobs`). The row outlives restarts: the uploader's progress page
    and the worker both read it."""

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    kind = models.CharField(max_length=32)
    filename = models.CharField(max_length=255, blank=True)
    path = models.CharField(max_length=500, help_text="The stored upload; deleted once the job has finished.")
    size = models.PositiveBigIntegerField(help_text="Bytes.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    source = models.CharField(max_length=16, default="admin")
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED, db_index=True)
    phase = models.CharField(max_length=16, blank=True, help_text="checking (reading the file) or writing.")
    bytes_read = models.PositiveBigIntegerField(default=0)
    rows_processed = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(null=True, blank=True, help_text="Known once the file is checked.")
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="The first errors: {line, field, reason}.")
    message = models.TextField(blank=True, help_text="Why the job failed, when not because of rows.")
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"import {self.pk} of {self.kind} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)
