"""Bets: experiments, process changes and initiatives, judged by the KPIs they promised to move.

A bet names treatment squads (the ones that changed something), comparison squads (the ones that
did not), a start date and the KPIs it should move. Its effect is computed from the stored squad
snapshots (`bets.effects`); nothing about a KPI's value is stored here. An initiative also carries
a planned headcount per squad and month, set against the time-allocation responses on `/time/`.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from squads.models import Squad

EARLIEST = date(2000, 1, 1)  # a bet's dates stay where periods and windows are well defined
LATEST = date(2100, 12, 31)
WINDOW_MIN = 4
WINDOW_MAX = 52
DEFAULT_WINDOW = 8


class Bet(models.Model):
    class Kind(models.TextChoices):
        EXPERIMENT = "experiment"
        PROCESS_CHANGE = "process_change", "Process change"
        INITIATIVE = "initiative"

    title = models.CharField(max_length=200)
    hypothesis = models.TextField(help_text="What we change, and what we expect it to do.")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="bets"
    )
    treatment_squads = models.ManyToManyField(Squad, related_name="bets_treated")
    comparison_squads = models.ManyToManyField(
        Squad,
        related_name="bets_compared",
        blank=True,
        help_text="Squads that did not change; empty at creation means every other active squad.",
    )
    start = models.DateField(validators=[MinValueValidator(EARLIEST), MaxValueValidator(LATEST)])
    end = models.DateField(
        null=True,
        blank=True,
        validators=[MinValueValidator(EARLIEST), MaxValueValidator(LATEST)],
        help_text="Optional; periods ending after it are not judged.",
    )
    window = models.PositiveSmallIntegerField(
        default=DEFAULT_WINDOW,
        validators=[MinValueValidator(WINDOW_MIN), MaxValueValidator(WINDOW_MAX)],
        help_text="Periods compared on each side of the start.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["experiment", "process_change", "initiative"]), name="bet_kind_valid"
            ),
            models.CheckConstraint(condition=Q(end__isnull=True) | Q(end__gte=F("start")), name="bet_end_after_start"),
            models.CheckConstraint(condition=Q(start__gte=EARLIEST) & Q(start__lte=LATEST), name="bet_start_in_range"),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | (Q(end__gte=EARLIEST) & Q(end__lte=LATEST)), name="bet_end_in_range"
            ),
            models.CheckConstraint(
                condition=Q(window__gte=WINDOW_MIN) & Q(window__lte=WINDOW_MAX), name="bet_window_range"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": "must be on or after start."})


class BetTarget(models.Model):
    """A KPI the bet should move, and which way."""

    class Direction(models.TextChoices):
        HIGHER = "higher"
        LOWER = "lower"

    bet = models.ForeignKey(Bet, on_delete=models.CASCADE, related_name="targets")
    metric = models.CharField(max_length=64, help_text="A KPI code from the catalog.")
    direction = models.CharField(max_length=8, choices=Direction.choices)

    class Meta:
        ordering = ["bet_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["bet", "metric"], name="bet_target_unique_metric"),
            models.CheckConstraint(condition=Q(direction__in=["higher", "lower"]), name="bet_target_direction_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.direction}"

    def clean(self) -> None:
        from bets.kpis import kpi_or_none

        if self.metric and kpi_or_none(self.metric) is None:
            raise ValidationError({"metric": f"unknown KPI {self.metric!r}."})


class PlannedHeadcount(models.Model):
    """How many people an initiative plans to have from a squad in a month."""

    bet = models.ForeignKey(Bet, on_delete=models.CASCADE, related_name="planned_headcount")
    squad = models.ForeignKey(Squad, on_delete=models.PROTECT, related_name="planned_headcount")
    month = models.DateField(help_text="The first day of the month.")
    headcount = models.DecimalField(max_digits=6, decimal_places=2, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["bet_id", "month", "squad__slug"]
        constraints = [
            models.UniqueConstraint(fields=["bet", "squad", "month"], name="planned_headcount_unique"),
            models.CheckConstraint(condition=Q(headcount__gte=0), name="planned_headcount_non_negative"),
            models.CheckConstraint(condition=Q(month__day=1), name="planned_headcount_first_of_month"),
        ]

    def __str__(self) -> str:
        return f"{self.squad_id} {self.month:%Y-%m} {self.headcount}"

    def clean(self) -> None:
        if self.month and self.month.day != 1:
            raise ValidationError({"month": "must be the first day of a month (YYYY-MM)."})
        bet = getattr(self, "bet", None) if self.bet_id or "bet" in self._state.fields_cache else None
        if bet is not None and bet.kind != Bet.Kind.INITIATIVE:
            raise ValidationError("only initiatives plan headcount.")
