"""`rollup_kpis [--full] [--since YYYY-MM-DD]`: recompute KPI snapshots synchronously (see docs/commands.md)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from metrics.kpis import rollup


def _date(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise CommandError(f"--since: expected YYYY-MM-DD, got {raw!r}") from None


class Command(BaseCommand):
    help = (
        "Recompute KPI snapshots with the same code the Celery tasks run. Without --full: the pending "
        "dirty periods (or everything, when no snapshot exists yet)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="recompute every snapshot")
        parser.add_argument("--since", type=_date, help="recompute (fully) only periods from this date on (YYYY-MM-DD)")

    def handle(self, *args: Any, full: bool, since: date | None, **options: Any) -> None:
        written = rollup.full_rollup(since=since) if full or since else rollup.ensure_snapshots()
        self.stdout.write(f"{written} snapshots written")
