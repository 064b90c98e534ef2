"""`import_records <kind> <file.csv> [--dry-run]` (see docs/commands.md)."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from metrics.records.ingest.kinds import KINDS
from metrics.records.services import import_records


class Command(BaseCommand):
    help = "Import records of one kind from a CSV file: all rows or none."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=list(KINDS), help="record kind (see docs/records.md)")
        parser.add_argument("file", help="CSV file in the import format, UTF-8")
        parser.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")

    def handle(self, *args: Any, kind: str, file: str, dry_run: bool, **options: Any) -> None:
        try:
            stream = open(file, "rb")  # noqa: SIM115 — closed by the `with` below; an OSError here is the user's path
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror or exc}") from exc
        with stream:
            report = import_records(
                kind=kind, stream=stream, source="command", filename=os.path.basename(file), dry_run=dry_run
            )
        if not report.ok:
            for error in report.errors:  # the first MAX_ERRORS; the rest are counted
                self.stderr.write(str(error))
            if report.more_errors:
                self.stderr.write(f"… and {report.more_errors} more error(s) not shown")
            rows = max(report.rejected, len({e.line for e in report.errors}))
            raise CommandError(f"{report.error_count} error(s) on {rows} line(s); nothing written")
        self.stdout.write(report.summary())
