"""Bets in the Django admin: targets and an initiative's planned headcount as inlines.

The form applies the rules of `bets.services` (treatment and comparison apart, a PM only on their
own squads, an empty comparison meaning every other active squad). Squads are written row by row
with `services.sync_squads` (not the form's `.set()`), so, as for the inlines and the bet itself,
every change is announced and audited."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from bets.models import Bet, BetTarget, PlannedHeadcount
from bets.services import can_write_bet, is_bet_manager, remove_bet, sync_squads
from squads.models import Squad
from squads.roles import own_squad_ids


class BetAdminForm(forms.ModelForm):
    class Meta:
        model = Bet
        fields = [
            "title",
            "hypothesis",
            "kind",
            "owner",
            "treatment_squads",
            "comparison_squads",
            "start",
            "end",
            "window",
        ]

    request: HttpRequest | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        treated = set(data.get("treatment_squads") or [])
        compared = set(data.get("comparison_squads") or [])
        if treated & compared:
            self.add_error(
                "comparison_squads",
                "a squad cannot be both treatment and comparison: "
                + ", ".join(sorted(s.slug for s in treated & compared))
                + ".",
            )
        user = self.request.user if self.request is not None else None
        if (
            user is not None
            and treated
            and not can_write_bet(user, [s.pk for s in treated], "change" if self.instance.pk else "add")
        ):
            self.add_error("treatment_squads", "you may only write bets whose treatment squads are all your own.")
        return data


class BetTargetInline(admin.TabularInline):
    model = BetTarget
    extra = 1


class PlannedHeadcountInline(admin.TabularInline):
    model = PlannedHeadcount
    extra = 1
    autocomplete_fields: list[str] = []


@admin.register(Bet)
class BetAdmin(admin.ModelAdmin):
    form = BetAdminForm
    list_display = ["title", "kind", "start", "end", "owner"]
    list_filter = ["kind"]
    search_fields = ["title", "hypothesis"]
    filter_horizontal = ["treatment_squads", "comparison_squads"]
    inlines = [BetTargetInline, PlannedHeadcountInline]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> type:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request
        if not is_bet_manager(request.user) and "treatment_squads" in form.base_fields:  # absent when read-only
            form.base_fields["treatment_squads"].queryset = Squad.objects.filter(pk__in=own_squad_ids(request.user))
        return form

    def _may(self, request: HttpRequest, obj: Bet | None, action: str) -> bool:
        if obj is None:
            return True
        return can_write_bet(request.user, [s.pk for s in obj.treatment_squads.all()], action)

    def has_change_permission(self, request: HttpRequest, obj: Bet | None = None) -> bool:
        return super().has_change_permission(request, obj) and self._may(request, obj, "change")

    def has_delete_permission(self, request: HttpRequest, obj: Bet | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self._may(request, obj, "delete")

    def save_model(self, request: HttpRequest, obj: Bet, form: forms.ModelForm, change: bool) -> None:
        if obj.owner_id is None and not change:
            obj.owner = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        form.save_m2m = lambda: None  # squads: row by row below, so each change is announced
        super().save_related(request, form, formsets, change)
        bet = form.instance
        treated = list(form.cleaned_data["treatment_squads"])
        compared = list(form.cleaned_data["comparison_squads"])
        if not change and not compared:
            compared = list(Squad.objects.filter(active=True).exclude(pk__in=[s.pk for s in treated]))
        sync_squads(bet, treatment=treated, comparison=compared)

    def delete_model(self, request: HttpRequest, obj: Bet) -> None:
        remove_bet(obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for bet in queryset:
            remove_bet(bet)
