"""Reads for the bet pages, the API and other apps' charts: bets with what a list shows, the
start markers any chart of a bet's KPIs and squads carries, and an initiative's planned against
actual headcount and cost."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet, Sum
from django.urls import reverse

from bets.models import Bet, BetTarget, PlannedHeadcount
from metrics.models import TimeAllocation


def bets_queryset() -> QuerySet[Bet]:
    """Every bet with its squads, targets and owner loaded (a fixed number of queries)."""
    return (
        Bet.objects.select_related("owner")
        .prefetch_related(
            "treatment_squads",
            "comparison_squads",
            Prefetch("targets", BetTarget.objects.order_by("id")),
            Prefetch("planned_headcount", PlannedHeadcount.objects.select_related("squad")),
        )
        .order_by("-start", "-id")
    )


@dataclass(frozen=True)
class BetMarker:
    bet_id: int
    title: str
    start: date
    metric: str
    url: str


def bet_markers(metric: str | Sequence[str], scopes: Sequence[str], date_from: date, date_to: date) -> list[BetMarker]:
    """Starts of the bets that target `metric` (one code or several) on any of `scopes`, with the
    start in [date_from, date_to]. A `squad:<slug>` scope matches bets treating that squad; an
    `area:<slug>` scope bets treating a squad of that area; `org` every bet. One query."""
    metrics = [metric] if isinstance(metric, str) else list(metric)
    where = Q()
    for scope in scopes:
        kind, _, slug = scope.partition(":")
        if kind == "org":
            where = Q(pk__isnull=False)
            break
        if kind == "squad":
            where |= Q(bet__treatment_squads__slug=slug)
        elif kind == "area":
            where |= Q(bet__treatment_squads__area__slug=slug)
    if not where or not metrics:
        return []
    rows = (
        BetTarget.objects.filter(where, metric__in=metrics, bet__start__gte=date_from, bet__start__lte=date_to)
        .values_list("bet_id", "bet__title", "bet__start", "metric")
        .distinct()
        .order_by("bet__start", "bet_id", "metric")
    )
    return [
        BetMarker(bet_id, title, start, code, reverse("bets:detail", args=[bet_id]))
        for bet_id, title, start, code in rows
    ]


# ---------------------------------------------------------------------------------------------- initiatives


@dataclass(frozen=True)
class PlanRow:
    bet_id: int
    title: str
    squad: str
    month: date
    planned: Decimal
    actual: int | None  # headcount the squad's time-allocation responses speak for that month
    planned_cost: Decimal
    actual_cost: Decimal | None


def initiative_plans(*, start: date, end: date, area: str = "", squad_slug: str = "") -> list[PlanRow]:
    """Planned headcount and cost of every initiative per squad and month in [start, end), beside
    the headcount the squad's time-allocation responses report for that month and its cost
    (headcount × the squad's monthly cost per head) Two queries."""
    plans = PlannedHeadcount.objects.filter(month__gte=start, month__lt=end, bet__kind=Bet.Kind.INITIATIVE)
    if squad_slug:
        plans = plans.filter(squad__slug=squad_slug)
    elif area:
        plans = plans.filter(squad__area__slug=area)
    plans = plans.select_related("bet", "squad").order_by("bet__title", "month", "squad__slug")
    rows = list(plans)
    if not rows:
        return []
    actual = {
        (r["squad_id"], r["month"]): r["headcount"]
        for r in TimeAllocation.objects.filter(
            squad_id__in={p.squad_id for p in rows}, month__in={p.month for p in rows}
        )
        .order_by()
        .values("squad_id", "month")
        .annotate(headcount=Sum("headcount"))
    }
    out = []
    for p in rows:
        cost = p.squad.monthly_cost_per_head
        real = actual.get((p.squad_id, p.month))
        out.append(
            PlanRow(
                p.bet_id,
                p.bet.title,
                p.squad.slug,
                p.month,
                p.headcount,
                real,
                (p.headcount * cost).quantize(Decimal("0.01")),
                None if real is None else (Decimal(real) * cost).quantize(Decimal("0.01")),
            )
        )
    return out
