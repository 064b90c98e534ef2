"""Shapes of the review and action-item endpoints. Input serializers only parse; the rules
live in `reviews.services`."""

from __future__ import annotations

from rest_framework import serializers

from reviews.models import ActionItem, Note, Review


class ReviewCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    scope = serializers.CharField(max_length=140, help_text="org, area:<slug> or squad:<slug>")
    grain = serializers.ChoiceField(choices=["week", "month", "quarter"])
    period_start = serializers.DateField()


class ValueSerializer(serializers.Serializer):
    metric = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    sample_size = serializers.IntegerField()
    status = serializers.CharField(allow_null=True)
    baseline = serializers.FloatField(allow_null=True)
    target = serializers.FloatField(allow_null=True)
    previous_value = serializers.FloatField(allow_null=True)
    current_value = serializers.FloatField(
        allow_null=True, help_text="Today's snapshot where it differs from the frozen value, else null."
    )
    restated = serializers.BooleanField()
    low_confidence = serializers.BooleanField()


class NoteSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", default=None, read_only=True)

    class Meta:
        model = Note
        fields = ["id", "metric", "kind", "text", "author", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


class NoteCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)
    metric = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=Note.Kind.values, required=False, default=Note.Kind.NOTE)


class ActionItemSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    metrics = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = ActionItem
        fields = ["id", "review", "title", "owner", "due", "metrics", "scope", "state", "closed_at", "created_at"]
        read_only_fields = fields


class ActionItemCreateSerializer(serializers.Serializer):
    review = serializers.IntegerField()
    title = serializers.CharField(max_length=300)
    owner = serializers.CharField(max_length=150, help_text="A username.")
    due = serializers.DateField()
    metrics = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, default=list, max_length=30
    )
    scope = serializers.CharField(max_length=140, required=False, allow_blank=True, default="")


class ActionItemStateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=ActionItem.State.values)


class ReviewListSerializer(serializers.ModelSerializer):
    class Meta:
        model = Review
        fields = ["id", "title", "scope", "grain", "period_start", "frozen_at", "created_at"]
        read_only_fields = fields


class ReviewDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    scope = serializers.CharField()
    grain = serializers.CharField()
    period_start = serializers.DateField()
    frozen_at = serializers.DateTimeField(allow_null=True)
    values = ValueSerializer(many=True)
    notes = NoteSerializer(many=True)
    action_items = ActionItemSerializer(many=True)
