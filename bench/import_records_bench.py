"""Time a bulk CSV import and count its queries (not a test: numbers for humans).

Run:  DATABASE_URL=postgres://... .venv/bin/python bench/import_records_bench.py [rows]
Creates rows in a scratch transaction that is rolled back at the end.
"""

from __future__ import annotations

import io
import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "productops.settings")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from metrics.records.ingest.importer import import_csv  # noqa: E402
from squads.models import Area, Squad  # noqa: E402


class _Rollback(Exception):
    pass


def incidents_csv(rows: int, squads: list[str]) -> bytes:
    lines = ["external_id,squad,severity,started_at,resolved_at,customer_impact,caused_by_release,title"]
    for i in range(rows):
        day = 1 + i % 28
        lines.append(
            f"bench-inc-{i},{squads[i % len(squads)]},{1 + i % 4},2025-03-{day:02d}T10:00:00Z,"
            f"2025-03-{day:02d}T12:30:00+01:00,{'yes' if i % 3 else 'no'},,Incident {i}"
        )
    return ("\n".join(lines) + "\n").encode()


def main(rows: int) -> None:
    try:
        with transaction.atomic():
            area, _ = Area.objects.get_or_create(slug="bench-area")
            slugs = [f"bench-{n}" for n in range(30)]
            for slug in slugs:
                Squad.objects.get_or_create(
                    slug=slug, defaults={"name": slug, "area": area, "monthly_cost_per_head": 1}
                )
            data = incidents_csv(rows, slugs)
            for label in ("first import (create)", "re-import (unchanged)"):
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    report = import_csv(kind="incidents", stream=io.BytesIO(data))
                    elapsed = time.perf_counter() - started
                assert report.ok, report.errors[:5]
                print(f"{label}: {rows} rows in {elapsed:.1f}s, {len(queries)} queries; {report.summary()}")
            raise _Rollback
    except _Rollback:
        pass


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
