"""The page form for a new bet: the same fields as the API, handed to `bets.services.create_bet`."""

from __future__ import annotations

from typing import Any

from django import forms

from bets.kpis import KPIS
from bets.models import DEFAULT_WINDOW, WINDOW_MAX, WINDOW_MIN, Bet
from bets.services import TargetInput
from squads.models import Squad

TARGET_ROWS = 4


class BetForm(forms.Form):
    title = forms.CharField(max_length=200)
    hypothesis = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    kind = forms.ChoiceField(choices=Bet.Kind.choices)
    treatment_squads = forms.ModelMultipleChoiceField(queryset=Squad.objects.none(), to_field_name="slug")
    comparison_squads = forms.ModelMultipleChoiceField(
        queryset=Squad.objects.none(),
        to_field_name="slug",
        required=False,
        help_text="Leave empty for every other active squad.",
    )
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    window = forms.IntegerField(min_value=WINDOW_MIN, max_value=WINDOW_MAX, initial=DEFAULT_WINDOW)

    def __init__(self, *args: Any, squads: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        queryset = squads if squads is not None else Squad.objects.filter(active=True).order_by("name")
        self.fields["treatment_squads"].queryset = queryset
        self.fields["comparison_squads"].queryset = Squad.objects.filter(active=True).order_by("name")
        metric_choices = [("", "—")] + [(k.code, k.label) for k in KPIS]
        for i in range(1, TARGET_ROWS + 1):
            self.fields[f"metric_{i}"] = forms.ChoiceField(choices=metric_choices, required=(i == 1), label=f"KPI {i}")
            self.fields[f"direction_{i}"] = forms.ChoiceField(
                choices=[("higher", "should go up"), ("lower", "should go down")], required=False, label="expected"
            )

    def target_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"metric_{i}"], self[f"direction_{i}"]) for i in range(1, TARGET_ROWS + 1)]

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        targets = [
            TargetInput(data[f"metric_{i}"], data[f"direction_{i}"] or "higher")
            for i in range(1, TARGET_ROWS + 1)
            if data.get(f"metric_{i}")
        ]
        comparison = [s.slug for s in data["comparison_squads"]] or None
        return {
            "title": data["title"],
            "hypothesis": data["hypothesis"],
            "kind": data["kind"],
            "treatment_squads": [s.slug for s in data["treatment_squads"]],
            "comparison_squads": comparison,
            "start": data["start"],
            "end": data.get("end"),
            "window": data["window"],
            "targets": targets,
        }

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            field = name if name in self.fields else ("metric_1" if name == "targets" else None)
            for message in messages:
                self.add_error(field, message)
