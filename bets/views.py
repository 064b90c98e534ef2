"""`/bets/`, `/bets/new/` and `/bets/<id>/`: thin views; the numbers come from `bets.effects`."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from bets import charts, effects, selectors, services
from bets.forms import BetForm
from bets.models import Bet
from squads.models import Squad
from squads.roles import own_squad_ids

VERDICT_WORDS = {
    "improved": "Improved: the whole 90 % interval lies on the KPI's better side of zero.",
    "worsened": "Worsened: the whole 90 % interval lies on the KPI's worse side of zero.",
    "no clear effect": "No clear effect: the 90 % interval includes zero.",
    "too early": "Too early: fewer than 4 periods have ended since the start.",
}


def bet_list(request: HttpRequest) -> HttpResponse:
    rows = []
    for bet in selectors.bets_queryset():
        found = effects.bet_effects(bet)
        rows.append({"bet": bet, "effects": found, "headline": effects.headline_verdict(found)})
    may_create = request.user.has_perm("bets.add_bet")
    return render(request, "bets/list.html", {"rows": rows, "may_create": may_create})


def bet_detail(request: HttpRequest, pk: int) -> HttpResponse:
    bet = get_object_or_404(selectors.bets_queryset(), pk=pk)
    treated = list(bet.treatment_squads.all())
    compared = list(bet.comparison_squads.all())
    t_label = "treatment: " + ", ".join(s.name for s in treated[:4]) + ("…" if len(treated) > 4 else "")
    c_label = f"comparison: {len(compared)} squad{'s' if len(compared) != 1 else ''}"
    items = []
    for i, effect in enumerate(effects.bet_effects(bet)):
        items.append(
            {
                "effect": effect,
                "verdict_words": VERDICT_WORDS[effect.effect.verdict],
                "chart": charts.effect_trend(effect, bet.start, treatment_label=t_label, comparison_label=c_label),
                "chart_id": f"bet-effect-{i}",
            }
        )
    may_change = services.can_write_bet(request.user, [s.pk for s in treated])
    return render(
        request,
        "bets/detail.html",
        {"bet": bet, "treated": treated, "compared": compared, "items": items, "may_change": may_change},
    )


def bet_new(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("bets.add_bet"):
        if request.method == "POST":
            raise PermissionDenied("only ops staff, admins and squad PMs create bets")
        return render(request, "bets/new.html", {"form": None})  # pages are readable by all: say why not
    squads = Squad.objects.filter(active=True).order_by("name")
    if not services.is_bet_manager(request.user):
        squads = squads.filter(pk__in=own_squad_ids(request.user))
    form = BetForm(request.POST or None, squads=squads)
    if request.method == "POST" and form.is_valid():
        try:
            bet = services.create_bet(user=request.user, **form.service_arguments())
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            return redirect("bets:detail", pk=bet.pk)
    return render(request, "bets/new.html", {"form": form, "kinds": Bet.Kind.choices})
