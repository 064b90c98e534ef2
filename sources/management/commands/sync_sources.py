from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sources.locks import source_lock
from sources.selectors import sources, status_lines
from sources.sync import sync_source

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Pull records from the sources now (incrementally from each cursor, or --full), or show --status."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--source", action="append", dest="names", metavar="NAME", help="only this source")
        parser.add_argument("--full", action="store_true", help="from the start of each source's window")
        parser.add_argument("--status", action="store_true", help="print each source's last run; sync nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        names = options["names"]
        selected = list(sources(names=names))
        unknown = sorted(set(names or []) - {s.name for s in selected})
        if unknown:
            raise CommandError(f"no source named {', '.join(unknown)}")
        if options["status"]:
            for source in selected:
                self.stdout.write("\n".join(status_lines(source)))
            failing = [s.name for s in selected if s.failing]
            if failing:
                raise CommandError(f"failing: {', '.join(failing)}")
            return
        if not names:
            selected = [s for s in selected if s.enabled]
        failed: list[str] = []
        for source in selected:
            try:
                with source_lock(source.pk) as taken:
                    if not taken:  # the schedule or a webhook is syncing it right now
                        self.stdout.write(f"{source.name}: a run is in progress; skipped")
                        continue
                    report = sync_source(source, full=options["full"])
            except Exception as exc:  # one source's bug must not stop the others; reported, and the exit fails
                logger.exception("source %s: sync crashed", source.name)
                self.stderr.write(f"{source.name}: crashed: {type(exc).__name__}: {exc}")
                failed.append(source.name)
                continue
            self.stdout.write(f"{source.name}: {report.summary()}")
            if not report.ok:
                failed.append(source.name)
        if failed:
            raise CommandError(f"failed: {', '.join(failed)}")
