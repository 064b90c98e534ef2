"""The bets API shapes: input parsed here, rules applied by `bets.services`."""

from __future__ import annotations

from datetime import date
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bets.models import WINDOW_MAX, WINDOW_MIN, Bet
from bets.services import PlannedInput, TargetInput


class TargetSerializer(serializers.Serializer):
    metric = serializers.CharField(max_length=64)
    direction = serializers.ChoiceField(choices=["higher", "lower"])


@extend_schema_field({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$", "example": "2026-03"})
class MonthField(serializers.Field):
    """`YYYY-MM` in and out."""

    default_error_messages = {"invalid": "must be a month as YYYY-MM."}

    def to_internal_value(self, data: Any) -> date:
        try:
            year, month = str(data).split("-")
            return date(int(year), int(month), 1)
        except (TypeError, ValueError):
            self.fail("invalid")

    def to_representation(self, value: date) -> str:
        return f"{value:%Y-%m}"


class PlannedSerializer(serializers.Serializer):
    squad = serializers.SlugField(max_length=64)
    month = MonthField()
    headcount = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=0)


class BetInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    hypothesis = serializers.CharField()
    kind = serializers.ChoiceField(choices=Bet.Kind.values)
    treatment_squads = serializers.ListField(
        child=serializers.SlugField(max_length=64), allow_empty=False, max_length=500
    )
    comparison_squads = serializers.ListField(
        child=serializers.SlugField(max_length=64), required=False, allow_null=True, max_length=500
    )
    start = serializers.DateField()
    end = serializers.DateField(required=False, allow_null=True)
    window = serializers.IntegerField(required=False, min_value=WINDOW_MIN, max_value=WINDOW_MAX)
    targets = TargetSerializer(many=True, allow_empty=False, max_length=50)
    planned_headcount = PlannedSerializer(many=True, required=False, max_length=5000)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "targets" in attrs:
            attrs["targets"] = [TargetInput(t["metric"], t["direction"]) for t in attrs["targets"]]
        if "planned_headcount" in attrs:
            attrs["planned_headcount"] = [
                PlannedInput(p["squad"], p["month"], p["headcount"]) for p in attrs["planned_headcount"]
            ]
        return attrs


class BetSerializer(serializers.ModelSerializer):
    """What GET answers: the POSTed fields, plus id, owner and, on a detail, the effects."""

    owner = serializers.SerializerMethodField()
    treatment_squads = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    comparison_squads = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    targets = TargetSerializer(many=True, read_only=True)
    planned_headcount = serializers.SerializerMethodField()

    class Meta:
        model = Bet
        fields = [
            "id",
            "title",
            "hypothesis",
            "kind",
            "owner",
            "treatment_squads",
            "comparison_squads",
            "start",
            "end",
            "window",
            "targets",
            "planned_headcount",
        ]
        read_only_fields = fields

    def get_owner(self, bet: Bet) -> str | None:
        return bet.owner.get_username() if bet.owner_id else None

    def get_planned_headcount(self, bet: Bet) -> list[dict[str, Any]]:
        return [
            {"squad": p.squad.slug, "month": f"{p.month:%Y-%m}", "headcount": str(p.headcount)}
            for p in bet.planned_headcount.all()
        ]


class EffectSerializer(serializers.Serializer):
    metric = serializers.CharField()
    grain = serializers.CharField()
    estimate = serializers.FloatField(allow_null=True)
    interval = serializers.ListField(child=serializers.FloatField(allow_null=True), min_length=2, max_length=2)
    verdict = serializers.ChoiceField(choices=["improved", "worsened", "no clear effect", "too early"])
    periods_before = serializers.IntegerField()
    periods_after = serializers.IntegerField()


class BetDetailSerializer(BetSerializer):
    effects = serializers.SerializerMethodField()

    class Meta(BetSerializer.Meta):
        fields = [*BetSerializer.Meta.fields, "effects"]
        read_only_fields = fields

    def get_effects(self, bet: Bet) -> list[dict[str, Any]]:
        from bets.effects import bet_effects

        return [effect.as_api() for effect in bet_effects(bet)]
