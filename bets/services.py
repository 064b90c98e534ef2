"""Writes of bets: create, update, delete — one path for the API, the page form and the admin.

Validation gives errors keyed by the API's field names (`treatment_squads`, `targets`, …); the
database constraints hold the same rules for any other path. Who may write: ops staff and
admins any bet; a squad PM only bets whose treatment squads are all their own (before and after
a change). Every row is written one by one (`save`/`delete`, never bulk or `.set()`), so each
change — the bet, a squad joining or leaving it, a target, a planned headcount — is announced
with `record_changed` (`bets.apps`) and lands in the audit log like any record's change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from bets.kpis import kpi_or_none
from bets.models import DEFAULT_WINDOW, WINDOW_MAX, WINDOW_MIN, Bet, BetTarget, PlannedHeadcount
from core.loaded_values import current_values
from metrics.records.signals import announce_row
from squads.models import Squad
from squads.roles import ADMIN, OPS_STAFF, own_squad_ids


@dataclass(frozen=True)
class TargetInput:
    metric: str
    direction: str


@dataclass(frozen=True)
class PlannedInput:
    squad: str  # slug
    month: date
    headcount: Decimal


# ---------------------------------------------------------------------------------------------- who


def is_bet_manager(user: Any) -> bool:
    """Ops staff and admins write any bet."""
    return bool(user.is_superuser or user.groups.filter(name__in=[ADMIN, OPS_STAFF]).exists())


def can_write_bet(user: Any, treatment_squad_ids: Iterable[int], action: str = "change") -> bool:
    """May `user` add/change/delete a bet on these treatment squads?"""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if not user.has_perm(f"bets.{action}_bet"):
        return False
    if is_bet_manager(user):
        return True
    ids = set(treatment_squad_ids)
    return bool(ids) and ids <= own_squad_ids(user)


def _require(user: Any, squad_ids: Iterable[int], action: str) -> None:
    if user is not None and not can_write_bet(user, squad_ids, action):
        raise PermissionDenied("you may only write bets whose treatment squads are all your own")


# ---------------------------------------------------------------------------------------------- validation


def _squads(slugs: Sequence[str], field: str, errors: dict[str, list[str]]) -> list[Squad]:
    found = {s.slug: s for s in Squad.objects.filter(slug__in=list(slugs))}
    missing = [slug for slug in slugs if slug not in found]
    if missing:
        errors.setdefault(field, []).append(f"unknown squad(s): {', '.join(sorted(set(missing)))}.")
    return [found[slug] for slug in dict.fromkeys(slugs) if slug in found]


def _targets(targets: Sequence[TargetInput], errors: dict[str, list[str]]) -> list[TargetInput]:
    if not targets:
        errors.setdefault("targets", []).append("name at least one KPI the bet should move.")
        return []
    seen: set[str] = set()
    for i, target in enumerate(targets):
        if kpi_or_none(target.metric) is None:
            errors.setdefault("targets", []).append(f"[{i}] metric: unknown KPI {target.metric!r}.")
        if target.direction not in BetTarget.Direction.values:
            errors.setdefault("targets", []).append(f"[{i}] direction: must be 'higher' or 'lower'.")
        if target.metric in seen:
            errors.setdefault("targets", []).append(f"[{i}] metric: {target.metric!r} is named twice.")
        seen.add(target.metric)
    return list(targets)


def _planned(rows: Sequence[PlannedInput], errors: dict[str, list[str]]) -> list[tuple[Squad, date, Decimal]]:
    slugs = [row.squad for row in rows]
    squads = {s.slug: s for s in Squad.objects.filter(slug__in=slugs)}
    out = []
    seen: set[tuple[str, date]] = set()
    for i, row in enumerate(rows):
        squad = squads.get(row.squad)
        if squad is None:
            errors.setdefault("planned_headcount", []).append(f"[{i}] squad: unknown squad {row.squad!r}.")
            continue
        if row.month.day != 1:
            errors.setdefault("planned_headcount", []).append(f"[{i}] month: must be the first day of a month.")
        try:
            headcount = Decimal(row.headcount)
        except (InvalidOperation, TypeError):
            headcount = Decimal(-1)
        if not headcount.is_finite() or headcount < 0 or headcount >= 10_000:
            errors.setdefault("planned_headcount", []).append(f"[{i}] headcount: must be between 0 and 9999.")
        if (row.squad, row.month) in seen:
            errors.setdefault("planned_headcount", []).append(f"[{i}] {row.squad} {row.month:%Y-%m} is named twice.")
        seen.add((row.squad, row.month))
        out.append((squad, row.month, headcount))
    return out


@dataclass
class _Checked:
    treatment: list[Squad]
    comparison: list[Squad]
    targets: list[TargetInput]
    planned: list[tuple[Squad, date, Decimal]] | None
    errors: dict[str, list[str]]

    def require(self, user: Any, action: str) -> None:
        """Who may write comes first (a refused PM learns nothing about the rest), then the rules."""
        if self.treatment:
            _require(user, [s.pk for s in self.treatment], action)
        if self.errors:
            raise ValidationError(self.errors)


def _check(
    bet: Bet,
    *,
    treatment: Sequence[str],
    comparison: Sequence[str] | None,
    targets: Sequence[TargetInput],
    planned: Sequence[PlannedInput] | None,
) -> _Checked:
    errors: dict[str, list[str]] = {}
    try:
        bet.full_clean(exclude=["owner"])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if not treatment:
        errors.setdefault("treatment_squads", []).append("name at least one treatment squad.")
    treated = _squads(treatment, "treatment_squads", errors)
    if comparison is None:
        compared = list(Squad.objects.filter(active=True).exclude(pk__in=[s.pk for s in treated]).order_by("slug"))
    else:
        compared = _squads(comparison, "comparison_squads", errors)
    overlap = {s.slug for s in treated} & {s.slug for s in compared}
    if overlap:
        errors.setdefault("comparison_squads", []).append(
            f"a squad cannot be both treatment and comparison: {', '.join(sorted(overlap))}."
        )
    if not compared and "comparison_squads" not in errors:
        errors.setdefault("comparison_squads", []).append("name at least one comparison squad.")
    checked_targets = _targets(targets, errors)
    checked_planned = _planned(planned, errors) if planned is not None else None
    if checked_planned and bet.kind != Bet.Kind.INITIATIVE:
        errors.setdefault("planned_headcount", []).append("only initiatives plan headcount.")
    return _Checked(treated, compared, checked_targets, checked_planned, errors)


# ---------------------------------------------------------------------------------------------- writes


def snapshot_of(bet: Bet) -> dict[str, Any]:
    """The whole bet as plain values: what the audit trail keeps."""
    return {
        "title": bet.title,
        "hypothesis": bet.hypothesis,
        "kind": bet.kind,
        "owner": bet.owner.get_username() if bet.owner_id else None,
        "treatment_squads": sorted(bet.treatment_squads.values_list("slug", flat=True)),
        "comparison_squads": sorted(bet.comparison_squads.values_list("slug", flat=True)),
        "start": bet.start.isoformat(),
        "end": bet.end.isoformat() if bet.end else None,
        "window": bet.window,
        "targets": [[t.metric, t.direction] for t in bet.targets.order_by("metric")],
        "planned_headcount": [
            [p.squad.slug, p.month.isoformat(), str(p.headcount)]
            for p in bet.planned_headcount.select_related("squad").order_by("month", "squad__slug")
        ],
    }


def sync_squads(bet: Bet, *, treatment: Sequence[Squad], comparison: Sequence[Squad]) -> None:
    """Make the bet's squads exactly these, row by row so each change is announced (and audited)."""
    for field, wanted in (("treatment_squads", treatment), ("comparison_squads", comparison)):
        through = getattr(Bet, field).through
        rows = {row.squad_id: row for row in through.objects.filter(bet=bet)}
        keep = {s.pk for s in wanted}
        for squad_id, row in rows.items():
            if squad_id not in keep:
                values = current_values(row)
                row.delete()
                announce_row(row, "delete", values)
        for squad in wanted:
            if squad.pk not in rows:
                row = through.objects.create(bet=bet, squad=squad)
                announce_row(row, "create", current_values(row))


def _store(bet: Bet, checked: _Checked) -> None:
    bet.save()
    sync_squads(bet, treatment=checked.treatment, comparison=checked.comparison)
    current = {t.metric: t for t in bet.targets.all()}
    wanted = {t.metric: t.direction for t in checked.targets}
    for metric, target in current.items():
        if metric not in wanted:
            target.delete()
        elif target.direction != wanted[metric]:
            target.direction = wanted[metric]
            target.save()
    for metric, direction in wanted.items():
        if metric not in current:
            BetTarget.objects.create(bet=bet, metric=metric, direction=direction)
    if checked.planned is not None:
        plans = {(p.squad_id, p.month): p for p in bet.planned_headcount.all()}
        wanted_plans = {(s.pk, m): h for s, m, h in checked.planned}
        for key, plan in plans.items():
            if key not in wanted_plans:
                plan.delete()
            elif plan.headcount != wanted_plans[key]:
                plan.headcount = wanted_plans[key]
                plan.save()
        for (squad_id, month), headcount in wanted_plans.items():
            if (squad_id, month) not in plans:
                PlannedHeadcount.objects.create(bet=bet, squad_id=squad_id, month=month, headcount=headcount)


@transaction.atomic
def create_bet(
    *,
    user: Any,
    title: str,
    hypothesis: str,
    kind: str,
    treatment_squads: Sequence[str],
    start: date,
    targets: Sequence[TargetInput],
    comparison_squads: Sequence[str] | None = None,
    end: date | None = None,
    window: int | None = None,
    planned_headcount: Sequence[PlannedInput] | None = None,
    owner: Any = None,
) -> Bet:
    """Create a bet. `comparison_squads=None` means every other active squad (stored as such, so a
    squad added later does not change a running bet). `user=None` is a trusted caller (seed, shell).
    Raises ValidationError keyed by field, PermissionDenied for a PM naming a squad not theirs."""
    bet = Bet(
        title=title,
        hypothesis=hypothesis,
        kind=kind,
        start=start,
        end=end,
        window=DEFAULT_WINDOW if window is None else window,
        owner=owner or user,
    )
    checked = _check(
        bet, treatment=treatment_squads, comparison=comparison_squads, targets=targets, planned=planned_headcount
    )
    checked.require(user, "add")
    _store(bet, checked)
    return bet


_UNSET: Any = object()


@transaction.atomic
def update_bet(
    *,
    bet: Bet,
    user: Any,
    data: Mapping[str, Any],
) -> Bet:
    """Change the fields present in `data` (PATCH semantics; keys as in `create_bet`). The user must
    be allowed both the bet's current treatment squads and the new ones."""
    bet = Bet.objects.select_for_update().get(pk=bet.pk)
    _require(user, bet.treatment_squads.values_list("pk", flat=True), "change")
    before = snapshot_of(bet)
    for name in ("title", "hypothesis", "kind", "start", "end", "window"):
        if name in data:
            setattr(bet, name, data[name])
    if "owner" in data:
        bet.owner = data["owner"]
    treatment = data.get("treatment_squads", before["treatment_squads"])
    comparison = data.get("comparison_squads", _UNSET)
    if comparison is _UNSET:
        comparison = before["comparison_squads"]
    targets = data.get("targets") or [TargetInput(m, d) for m, d in before["targets"]]
    checked = _check(
        bet, treatment=treatment, comparison=comparison, targets=targets, planned=data.get("planned_headcount")
    )
    checked.require(user, "change")
    _store(bet, checked)
    return bet


@transaction.atomic
def delete_bet(*, bet: Bet, user: Any) -> None:
    _require(user, bet.treatment_squads.values_list("pk", flat=True), "delete")
    remove_bet(bet)


def remove_bet(bet: Bet) -> None:
    """Delete a bet, each membership, target and plan announced (the cascade would not announce
    the memberships)."""
    sync_squads(bet, treatment=[], comparison=[])
    bet.delete()


__all__ = [
    "PlannedInput",
    "TargetInput",
    "can_write_bet",
    "create_bet",
    "delete_bet",
    "update_bet",
    "WINDOW_MAX",
    "WINDOW_MIN",
]
