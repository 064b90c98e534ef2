"""Reviews of the numbers: what was shown (frozen), what was said, and what was decided to do.

A review names a scope and a period. Until it is frozen its values are read live from the
KPI snapshots; freezing copies every value it shows into `FrozenValue` rows, which no later
rollup touches. Action items belong to the review they were raised in and carry into the next
reviews of the same scope until they are closed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

GRAIN_CHOICES = [("week", "week"), ("month", "month"), ("quarter", "quarter")]


class Review(models.Model):
    title = models.CharField(max_length=200)
    scope = models.CharField(max_length=140, help_text="org, area:<slug> or squad:<slug>")
    grain = models.CharField(max_length=8, choices=GRAIN_CHOICES)
    period_start = models.DateField(help_text="First day of the period reviewed.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    frozen_at = models.DateTimeField(null=True, blank=True)
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-period_start", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(grain__in=["week", "month", "quarter"]), name="review_grain_valid"),
            models.CheckConstraint(
                condition=Q(scope="org") | Q(scope__startswith="area:") | Q(scope__startswith="squad:"),
                name="review_scope_valid",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="review_title_not_empty"),
        ]
        indexes = [models.Index(fields=["scope", "period_start"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None


class FrozenValue(models.Model):
    """One KPI as the review showed it when it was frozen."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="frozen_values")
    metric = models.CharField(max_length=64)
    value = models.FloatField(null=True, blank=True)
    sample_size = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, blank=True)
    baseline = models.FloatField(null=True, blank=True)
    target = models.FloatField(null=True, blank=True)
    previous_value = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["review", "id"]
        constraints = [models.UniqueConstraint(fields=["review", "metric"], name="frozen_value_unique_metric")]

    def __str__(self) -> str:
        return f"{self.review_id} {self.metric} = {self.value}"


class Note(models.Model):
    """A note on one KPI of a review (`metric` set), a free note, or a decision."""

    class Kind(models.TextChoices):
        NOTE = "note"
        DECISION = "decision"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="notes")
    metric = models.CharField(max_length=64, blank=True, help_text="Empty for a free note or decision.")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.NOTE)
    text = models.TextField(max_length=5000)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["note", "decision"]), name="note_kind_valid"),
            models.CheckConstraint(condition=~Q(text=""), name="note_text_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on review {self.review_id}"


class ActionItem(models.Model):
    class State(models.TextChoices):
        OPEN = "open"
        DONE = "done"
        DROPPED = "dropped"

    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="raised_items", help_text="The review it was raised in."
    )
    title = models.CharField(max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="action_items")
    due = models.DateField()
    metrics = models.JSONField(default=list, blank=True, help_text="KPI codes the item targets.")
    scope = models.CharField(max_length=140, help_text="The scope whose KPIs it targets.")
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=["open", "done", "dropped"]), name="action_item_state_valid"),
            models.CheckConstraint(
                condition=Q(state="open", closed_at__isnull=True) | (~Q(state="open") & Q(closed_at__isnull=False)),
                name="action_item_closed_when_not_open",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="action_item_title_not_empty"),
        ]
        indexes = [models.Index(fields=["owner", "state", "due"])]

    def __str__(self) -> str:
        return self.title
