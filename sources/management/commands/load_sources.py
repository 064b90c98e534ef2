from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sources.services import SourceFileError, load_sources


class Command(BaseCommand):
    help = "Create or update sources from a TOML file ([[source]] tables; secrets by environment variable)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="the TOML file")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with open(options["file"], "rb") as stream:
                report = load_sources(stream=stream)
        except OSError as exc:
            raise CommandError(f"cannot read {options['file']}: {exc.strerror}") from None
        except SourceFileError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError("nothing was loaded") from None
        self.stdout.write(report.summary())
