"""`export_records <kind>`: the records of a kind as CSV on stdout, in import format."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from core import csvsafe
from metrics.records.ingest.kinds import KINDS


class Command(BaseCommand):
    help = "Write every record of a kind as CSV (the format import_records reads) to stdout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=list(KINDS), help="record kind (see docs/records.md)")

    def handle(self, *args: Any, kind: str, **options: Any) -> None:
        record_kind = KINDS[kind]
        out = csvsafe.writer(self.stdout, lineterminator="\n")
        out.writerow(record_kind.column_names)
        records = record_kind.model.objects.select_related(*record_kind.related_for_export()).order_by(record_kind.key)
        for record in records.iterator(chunk_size=2000):
            out.writerow(record_kind.to_row(record).values())
