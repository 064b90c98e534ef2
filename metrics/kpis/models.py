"""What the KPI engine stores: snapshots, dirty ranges waiting for a rollup,
rollup runs, and the targets and baseline that dashboards compare against."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from squads.models import Squad

GRAIN_CHOICES = [("week", "week"), ("month", "month"), ("quarter", "quarter")]


class KpiSnapshot(models.Model):
    """One KPI value for one scope and period; recomputed from source, upserted."""

    metric = models.CharField(max_length=64)
    scope = models.CharField(max_length=140, help_text="org, area:<slug> or squad:<slug>")
    grain = models.CharField(max_length=8, choices=GRAIN_CHOICES)
    period_start = models.DateField()
    value = models.FloatField(null=True, blank=True)
    sample_size = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["metric", "scope", "grain", "period_start"]
        constraints = [
            models.UniqueConstraint(fields=["metric", "scope", "grain", "period_start"], name="snapshot_unique_period"),
        ]
        # Pages read by scope (this index); reads by metric use the unique index, which leads
        # with metric. A (grain, metric, period_start) index was dropped: no faster for any read,
        # and every rollup write paid for it.
        indexes = [models.Index(fields=["grain", "scope", "period_start"])]

    def __str__(self) -> str:
        return f"{self.metric} {self.scope} {self.grain} {self.period_start}"


class DirtyRange(models.Model):
    """Days whose KPIs must be recomputed for a scope, written in the same
    transaction as the record change so that no change is ever forgotten."""

    scope = models.CharField(max_length=140)
    start = models.DateField()
    end = models.DateField(help_text="Inclusive.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="dirty_range_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.start}..{self.end}"


class RollupRun(models.Model):
    class Kind(models.TextChoices):
        FULL = "full"
        INCREMENTAL = "incremental"

    class Status(models.TextChoices):
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    snapshots_written = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"{self.kind} rollup {self.started_at:%Y-%m-%d %H:%M} {self.status}"


class Target(models.Model):
    """A KPI target: the org default (no squad) or a squad's override."""

    metric = models.CharField(max_length=64)
    squad = models.ForeignKey(Squad, null=True, blank=True, on_delete=models.CASCADE, related_name="targets")
    value = models.FloatField(help_text="On track when the KPI is at least this good.")
    at_risk_margin_pct = models.FloatField(
        default=10.0,
        help_text="Within this % of the target (on the wrong side) counts as at risk, beyond it off track.",
    )

    class Meta:
        ordering = ["metric", "squad__slug"]
        constraints = [
            models.UniqueConstraint(fields=["metric", "squad"], name="target_unique_per_squad"),
            models.UniqueConstraint(
                fields=["metric"], condition=Q(squad__isnull=True), name="target_unique_org_default"
            ),
            models.CheckConstraint(condition=Q(at_risk_margin_pct__gte=0), name="target_margin_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {'org' if self.squad_id is None else self.squad} → {self.value}"


class Baseline(models.Model):
    """The period every KPI is compared against ("change vs baseline")."""

    name = models.CharField(max_length=100)
    start = models.DateField()
    end = models.DateField(help_text="Inclusive.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="baseline_ordered"),
            models.UniqueConstraint(fields=["active"], condition=Q(active=True), name="baseline_one_active"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.start}..{self.end})"
