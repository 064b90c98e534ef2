"""Demo bets for `seed_demo`: one that worked, one that backfired, one with no clear effect and one
too young to judge, so the bets pages show every verdict.

A real effect needs real records: before the rollup, `create_demo_bets` changes the generated
records of the treatment squads after each bet's start, the way the change would have —
trunk-based development shortens lead time and avoids rollbacks; skipping staging lets more
defects escape to production. The no-effect bet changes nothing. The comparison squads are the
squads no demo bet touches, so one bet's effect never leaks into another's comparison.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from bets.models import Bet
from bets.services import PlannedInput, TargetInput, create_bet
from metrics.models import Defect, Release
from squads.models import Squad

LEAD_TIME_FACTOR = 0.3  # trunk-based: lead time down to 30 %
ROLLBACKS_AVOIDED = 0.7  # …70 % of the rollbacks gone
MORE_RELEASES = 0.9  # …and 90 % more releases (small changes ship on their own)
DEFECTS_ESCAPING = 0.6  # skipping staging: 60 % of the defects found before production now escape


def _at(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _shorter_lead_times(rng: random.Random, squads: list[Squad], start: date, now: datetime) -> int:
    releases = list(Release.objects.filter(squad__in=squads, released_at__gte=_at(start)))
    for release in releases:
        if release.first_commit_at is not None:
            release.first_commit_at = (
                release.released_at - (release.released_at - release.first_commit_at) * LEAD_TIME_FACTOR
            )
        if release.status == Release.Status.ROLLED_BACK and rng.random() < ROLLBACKS_AVOIDED:
            release.status = Release.Status.SUCCEEDED
    Release.objects.bulk_update(releases, ["first_commit_at", "status"], batch_size=2000)
    extra = [
        Release(
            external_id=f"{r.external_id}-tbd",
            squad_id=r.squad_id,
            version=f"{r.version}.1",
            released_at=r.released_at + timedelta(hours=2),
            status=Release.Status.SUCCEEDED,
            first_commit_at=r.released_at - (r.released_at - r.first_commit_at) * LEAD_TIME_FACTOR / 2
            if r.first_commit_at
            else None,
        )
        for r in releases
        if rng.random() < MORE_RELEASES and r.released_at + timedelta(hours=2) < now
    ]
    Release.objects.bulk_create(extra, batch_size=2000)
    return len(releases) + len(extra)


def _more_escapes(rng: random.Random, squads: list[Squad], start: date) -> int:
    defects = list(
        Defect.objects.filter(squad__in=squads, found_at__gte=_at(start))
        .exclude(found_in=Defect.FoundIn.PRODUCTION)
        .order_by("pk")
    )
    changed = [d for d in defects if rng.random() < DEFECTS_ESCAPING]
    for defect in changed:
        defect.found_in = Defect.FoundIn.PRODUCTION
    Defect.objects.bulk_update(changed, ["found_in"], batch_size=2000)
    return len(changed)


def create_demo_bets(*, today: date, seed: int = 7, now: datetime | None = None) -> dict[str, int]:
    """Create four bets on the generated org (needs ≥ 10 squads), changing the records of the two
    with an effect; nothing is written after `now` (default: the current time). Run before the
    full rollup. Returns counts for the seed summary."""
    now = now or timezone.now()
    squads = list(Squad.objects.filter(active=True).order_by("slug"))
    if len(squads) < 10:
        return {"bets": 0}
    rng = random.Random(seed)
    trunk, staging, design, pairing = squads[2:5], squads[5:7], squads[7:9], squads[:1]
    untouched = [s.slug for s in squads if s not in trunk + staging + pairing]
    slugs = [s.slug for s in squads]

    trunk_start = _monday(today) - timedelta(weeks=11) + timedelta(days=2)
    _shorter_lead_times(rng, trunk, trunk_start, now)
    create_bet(
        user=None,
        title="Trunk-based development",
        kind=Bet.Kind.PROCESS_CHANGE,
        start=trunk_start,
        hypothesis="Merging small changes to main daily shortens lead time and makes rollbacks rare.",
        treatment_squads=[s.slug for s in trunk],
        comparison_squads=[s for s in untouched if s not in {t.slug for t in design}],
        targets=[
            TargetInput("releases", "higher"),
            TargetInput("lead_time_hours", "lower"),
            TargetInput("change_failure_rate", "lower"),
        ],
    )

    staging_start = _monday(today) - timedelta(weeks=12) + timedelta(days=1)
    _more_escapes(rng, staging, staging_start)
    create_bet(
        user=None,
        title="Skip staging for small changes",
        kind=Bet.Kind.EXPERIMENT,
        start=staging_start,
        hypothesis="Small changes can go straight to production without more defects escaping.",
        treatment_squads=[s.slug for s in staging],
        comparison_squads=[s for s in untouched if s not in {t.slug for t in design}],
        targets=[TargetInput("escaped_defect_rate", "lower"), TargetInput("defects_found", "lower")],
    )

    design_start = _monday(today) - timedelta(weeks=14) + timedelta(days=3)
    months = [date(design_start.year, design_start.month, 1)]
    for _ in range(3):
        months.append((months[-1] + timedelta(days=32)).replace(day=1))
    create_bet(
        user=None,
        title="Shared design system",
        kind=Bet.Kind.INITIATIVE,
        start=design_start,
        hypothesis="A shared component library lets squads ship more often without hurting satisfaction.",
        treatment_squads=[s.slug for s in design],
        comparison_squads=[s for s in untouched if s not in {t.slug for t in design}],
        targets=[TargetInput("releases", "higher"), TargetInput("incidents", "lower")],
        planned_headcount=[
            PlannedInput(s.slug, month, Decimal(2 + i % 2)) for s in design for i, month in enumerate(months)
        ],
    )

    create_bet(
        user=None,
        title="Pairing Fridays",
        kind=Bet.Kind.EXPERIMENT,
        start=today - timedelta(days=15),
        hypothesis="Pairing one day a week catches defects before testing.",
        treatment_squads=[s.slug for s in pairing],
        comparison_squads=[s for s in slugs if s != pairing[0].slug],
        targets=[TargetInput("defects_found", "lower")],
    )
    return {"bets": 4}


def seed_demo_bets(pm_squads: Sequence[str]) -> dict[str, int]:
    """`seed_demo`'s hook (`SEED_DEMO_EXTRAS`, called with the demo PM's squads, inside its transaction and
    before the rollup): the four demo bets as of today."""
    return create_demo_bets(today=timezone.now().date())
