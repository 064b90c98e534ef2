"""`manage.py seed_demo`: fill an empty database with a realistic demo org (see docs/commands.md)."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from metrics.demo.services import DatabaseNotEmpty, seed_demo_org
from metrics.demo.users import DEMO_USERS, usable_demo_users
from metrics.kpis.rollup import full_rollup
from squads.models import Squad


class Command(BaseCommand):
    help = (
        "Fill an EMPTY database with a demo org (squads in several areas, years of every record kind, "
        "targets and a baseline, one demo user per role), then run the full KPI rollup."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--squads", type=int, default=24, help="number of squads (default 24)")
        parser.add_argument("--areas", type=int, default=5, help="number of areas (default 5)")
        parser.add_argument(
            "--years", type=float, default=2.0, help="years of history before today, plus one month (default 2)"
        )
        parser.add_argument("--seed", type=int, default=7, help="random seed; the same seed gives the same org")
        parser.add_argument("--scale", type=float, default=1.0, help="multiply every record count (default 1)")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing (exit 0) when the database already has data"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        squads, areas, years = options["squads"], options["areas"], options["years"]
        if squads < 1 or areas < 1 or squads < areas:
            raise CommandError(f"--squads ({squads}) must be at least --areas ({areas}), both at least 1")
        if years <= 0 or options["scale"] <= 0:
            raise CommandError("--years and --scale must be positive")
        began = time.monotonic()
        try:
            seeded = seed_demo_org(
                squads=squads,
                areas=areas,
                years=years,
                seed=options["seed"],
                scale=options["scale"],
                today=timezone.now().date(),
            )
        except DatabaseNotEmpty as exc:
            if options["if_empty"]:
                self.stdout.write("database already has data; nothing seeded")
                self._print_existing_users()
                return
            raise CommandError(
                f"database already has data ({', '.join(exc.found)}); seed_demo only fills an empty database "
                "(use --if-empty to skip quietly)"
            ) from exc
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Seeded {_describe(seeded.counts)} from {seeded.start} to {seeded.end} in {time.monotonic() - began:.1f}s."
        )
        self._print_users(seeded.pm_squads)
        self._rollup()
        self._after_rollup()

    def _print_users(self, pm_squads: list[Squad]) -> None:
        self.stdout.write("Demo users (username / password):")
        for user in DEMO_USERS:
            note = ""
            if user.username == "pm":
                note = f"  (PM of {', '.join(s.name for s in pm_squads)})"
            self.stdout.write(f"  {user.username:<8} {user.password}{note}")

    def _print_existing_users(self) -> None:
        """On a re-run (bin/start prints this on every start): the demo sign-ins that still work."""
        users = usable_demo_users()
        if not users:
            return
        pm_squads = list(Squad.objects.filter(pm__username="pm").order_by("id"))
        self.stdout.write("Demo users (username / password):")
        for user in users:
            note = f"  (PM of {', '.join(s.name for s in pm_squads)})" if user.username == "pm" and pm_squads else ""
            self.stdout.write(f"  {user.username:<8} {user.password}{note}")

    def _rollup(self) -> None:
        """Bulk inserts wrote no dirty marks, so every snapshot is computed from scratch."""
        began = time.monotonic()
        written = full_rollup()
        self.stdout.write(f"Full KPI rollup: {written:,} snapshots written in {time.monotonic() - began:.1f}s.")

    def _after_rollup(self) -> None:
        """Other apps' demo objects that read the snapshots (e.g. a frozen review), by dotted path
        so the engine does not import the apps built on it."""
        for extra in settings.SEED_DEMO_AFTER_ROLLUP:
            with transaction.atomic():
                counts = import_string(extra)()
            if counts:
                self.stdout.write(f"Seeded {_describe(counts)}.")


def _describe(counts: dict[str, int]) -> str:
    words = {kind: kind.replace("_", " ") for kind in counts}
    return ", ".join(f"{n:,} {words[kind][:-1] if n == 1 else words[kind]}" for kind, n in counts.items())
