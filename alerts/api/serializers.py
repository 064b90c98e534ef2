"""Shapes of the alert-rule, alert and subscription endpoints."""

from __future__ import annotations

from rest_framework import serializers

from alerts.models import Alert, AlertRule, Subscription


class AlertRuleSerializer(serializers.ModelSerializer):
    subscribers = serializers.SlugRelatedField(many=True, read_only=True, slug_field="username")

    class Meta:
        model = AlertRule
        fields = ["id", "metric", "scope", "grain", "condition", "threshold", "subscribers", "active", "created_at"]
        read_only_fields = fields


class AlertRuleCreateSerializer(serializers.Serializer):
    metric = serializers.CharField(max_length=64)
    scope = serializers.CharField(max_length=140, help_text="org, area:<slug>, squad:<slug> or squad:* (every squad)")
    grain = serializers.ChoiceField(choices=["week", "month", "quarter"])
    condition = serializers.ChoiceField(choices=AlertRule.Condition.values)
    threshold = serializers.FloatField(required=False, allow_null=True, default=None)
    subscribers = serializers.ListField(
        child=serializers.CharField(max_length=150), required=False, default=list, max_length=200
    )


class AlertSerializer(serializers.ModelSerializer):
    acknowledged_by = serializers.CharField(source="acknowledged_by.username", default=None, read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "rule",
            "metric",
            "scope",
            "grain",
            "period_start",
            "event",
            "value",
            "sample_size",
            "reference",
            "created_at",
            "acknowledged_at",
            "acknowledged_by",
        ]
        read_only_fields = fields


class SubscriptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Subscription
        fields = ["id", "scope", "created_at"]
        read_only_fields = ["id", "created_at"]
