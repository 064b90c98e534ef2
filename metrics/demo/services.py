"""Seeding the demo org: what `manage.py seed_demo` runs (the command only parses and prints).

The seed only fills an empty database — it never merges a demo into real data — and writes
everything (records, demo users, targets, baseline) in one transaction, so a failed seed
leaves nothing behind. Bulk inserts write no dirty marks: the caller runs a full rollup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from metrics.demo.changes import create_demo_changes
from metrics.demo.generator import generate_org
from metrics.demo.targets import create_demo_targets
from metrics.demo.users import create_demo_users, existing_data
from squads.models import Squad


class DatabaseNotEmpty(Exception):
    """The database already holds data a demo seed would clash with (`found` names it)."""

    def __init__(self, found: list[str]) -> None:
        super().__init__(", ".join(found))
        self.found = found


@dataclass(frozen=True)
class SeededOrg:
    counts: dict[str, int]  # kind → rows written, in the order they were written
    start: date
    end: date
    pm_squads: list[Squad]  # the squads the demo `pm` user is PM of


def demo_start(today: date, years: float) -> date:
    """The first day of `years` of history before `today`, plus one month."""
    return today - timedelta(days=round(365.25 * years) + 31)


def seed_demo_org(*, squads: int, areas: int, years: float, seed: int, scale: float, today: date) -> SeededOrg:
    """Generate the demo org up to `today` (records, changes), its demo users (the `pm` user on the
    first two squads of the first squad's area), targets and the extras of `SEED_DEMO_EXTRAS`.
    Raises `DatabaseNotEmpty` before writing anything when the database has data, `ValueError`
    when the generator refuses the sizes."""
    found = existing_data()
    if found:
        raise DatabaseNotEmpty(found)
    start = demo_start(today, years)
    with transaction.atomic():
        counts = generate_org(squads=squads, areas=areas, start=start, end=today, seed=seed, scale=scale)
        counts |= create_demo_changes(seed=seed)
        first = Squad.objects.order_by("id").first()
        pm_squads = list(Squad.objects.filter(area_id=first.area_id).order_by("id")[:2])
        create_demo_users(pm_squads)
        counts |= create_demo_targets(start=start, squad=pm_squads[0])
        for extra in settings.SEED_DEMO_EXTRAS:  # other apps' demo objects (e.g. example sources)
            counts |= import_string(extra)([s.slug for s in pm_squads])
    return SeededOrg(counts=counts, start=start, end=today, pm_squads=pm_squads)
