"""`export_kpis [--grain G] [--scope S] [--metric M] [--from D] [--to D]`: snapshots as CSV (see docs/commands.md)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core import csvsafe
from metrics.kpis.catalog import CATALOG, GRAINS
from metrics.kpis.selectors import snapshot_export_rows


def _date(option: str):
    def parse(raw: str) -> date:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise CommandError(f"{option}: expected YYYY-MM-DD, got {raw!r}") from None

    return parse


class Command(BaseCommand):
    help = "Write stored KPI snapshots as CSV to stdout, sorted by metric, scope, grain, period_start."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--grain", choices=GRAINS)
        parser.add_argument("--scope", help="org, area:<slug> or squad:<slug>")
        parser.add_argument("--metric", help="a KPI code (see /api/catalog/)")
        parser.add_argument("--from", dest="date_from", type=_date("--from"), help="first period_start (YYYY-MM-DD)")
        parser.add_argument("--to", dest="date_to", type=_date("--to"), help="last period_start (YYYY-MM-DD)")

    def handle(self, *args: Any, **options: Any) -> None:
        metric = options.get("metric")
        if metric and metric not in CATALOG:
            raise CommandError(f"--metric: unknown KPI {metric!r}")
        rows = snapshot_export_rows(
            metric=metric,
            scope=options.get("scope"),
            grain=options.get("grain"),
            date_from=options.get("date_from"),
            date_to=options.get("date_to"),
        )
        csvsafe.writer(self.stdout, lineterminator="\n").writerows(rows)
