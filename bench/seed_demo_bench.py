"""Time `metrics.demo.generate_org` at benchmark size (not a test: numbers for humans).

Run:  DATABASE_URL=postgres://... .venv/bin/python bench/seed_demo_bench.py [squads] [years] [scale]
Defaults: 50 squads, 3 years, scale 17 (≈1,000,000 records); BATCH_SIZE=N in the
environment sets the bulk_create batch size (default 5000). The database must be
migrated and hold no demo org; everything is written in one transaction that is
rolled back at the end, so the database is left as it was.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "productops.settings")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from metrics.demo.generator import generate_org  # noqa: E402


def main() -> None:
    squads = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    years = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    scale = float(sys.argv[3]) if len(sys.argv) > 3 else 17.0
    batch_size = int(os.environ.get("BATCH_SIZE", "5000"))
    end = timezone.now().date() - timedelta(days=1)
    start = end - timedelta(days=round(365.25 * years))
    began = time.monotonic()
    with transaction.atomic():
        counts = generate_org(squads=squads, start=start, end=end, scale=scale, batch_size=batch_size)
        elapsed = time.monotonic() - began
        transaction.set_rollback(True)
    records = sum(n for kind, n in counts.items() if kind not in {"areas", "squads", "surveys"})
    print(f"{connection.vendor}: {squads} squads × {years} years × scale {scale}: {counts}")
    print(f"{records:,} records in {elapsed:.1f}s ({records / elapsed:,.0f} records/s)")


if __name__ == "__main__":
    main()
