"""Alert rules, the per-period state each rule keeps per scope, the alerts fired, who follows
which scopes, and which weekly digests went out."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

GRAIN_CHOICES = [("week", "week"), ("month", "month"), ("quarter", "quarter")]


class AlertRule(models.Model):
    class Condition(models.TextChoices):
        OFF_TRACK = "off_track", "becomes off track"
        ABOVE = "above", "rises above the threshold"
        BELOW = "below", "falls below the threshold"
        CHANGE_PCT = "change_pct", "moves more than threshold % against the previous period"

    metric = models.CharField(max_length=64)
    scope = models.CharField(max_length=140, help_text="org, area:<slug>, squad:<slug> or squad:* (every squad)")
    grain = models.CharField(max_length=8, choices=GRAIN_CHOICES)
    condition = models.CharField(max_length=12, choices=Condition.choices)
    threshold = models.FloatField(null=True, blank=True)
    subscribers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="alert_rules")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["metric", "scope", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(grain__in=["week", "month", "quarter"]), name="alert_rule_grain_valid"),
            models.CheckConstraint(
                condition=Q(condition__in=["off_track", "above", "below", "change_pct"]),
                name="alert_rule_condition_valid",
            ),
            models.CheckConstraint(
                condition=Q(condition="off_track") | Q(threshold__isnull=False),
                name="alert_rule_threshold_required",
            ),
            models.CheckConstraint(
                condition=~Q(condition="change_pct") | Q(threshold__gt=0), name="alert_rule_change_pct_positive"
            ),
        ]

    def __str__(self) -> str:
        threshold = "" if self.threshold is None else f" {self.threshold:g}"
        return f"{self.metric} {self.scope} {self.grain} {self.condition}{threshold}"


class RuleState(models.Model):
    """Whether a rule's condition holds for one scope and period, as of the last evaluation."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="states")
    scope = models.CharField(max_length=140)
    period_start = models.DateField()
    active = models.BooleanField(default=False)
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "scope", "period_start"], name="rule_state_unique_period"),
        ]

    def __str__(self) -> str:
        return f"rule {self.rule_id} {self.scope} {self.period_start}: {'on' if self.active else 'off'}"


class Alert(models.Model):
    class Event(models.TextChoices):
        START = "start"
        END = "end"

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    metric = models.CharField(max_length=64)
    scope = models.CharField(max_length=140)
    grain = models.CharField(max_length=8, choices=GRAIN_CHOICES)
    period_start = models.DateField()
    event = models.CharField(max_length=5, choices=Event.choices)
    value = models.FloatField(null=True, blank=True)
    sample_size = models.PositiveIntegerField(default=0)
    reference = models.FloatField(null=True, blank=True, help_text="The previous period's value (change_pct).")
    created_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(event__in=["start", "end"]), name="alert_event_valid")]
        indexes = [models.Index(fields=["created_at"]), models.Index(fields=["scope", "created_at"])]

    def __str__(self) -> str:
        return f"{self.event} {self.metric} {self.scope} {self.period_start}"


class Subscription(models.Model):
    """A user follows a scope: its status changes and largest moves come in their weekly digest."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions")
    scope = models.CharField(max_length=140)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user", "scope"]
        constraints = [models.UniqueConstraint(fields=["user", "scope"], name="subscription_unique_scope")]

    def __str__(self) -> str:
        return f"{self.user} follows {self.scope}"


class DigestSent(models.Model):
    """One digest per user and week: a redelivered task never sends it twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "week_start"], name="digest_once_per_week")]

    def __str__(self) -> str:
        return f"digest {self.user} {self.week_start}"
