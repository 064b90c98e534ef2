"""Time the API's heavy reads and its single-record writes (not a test: numbers for humans).

Run:  DATABASE_URL=postgres://... .venv/bin/python bench/api_bench.py [snapshots]
Fills KpiSnapshot with `snapshots` rows (default 100,000) and 1,000 releases
inside a transaction that is rolled back at the end, then times: paging through
every snapshot of /api/kpis/ (page sizes 1000 and 5000), one filtered KPI series,
listing releases 1000 a page, and 200 POSTs of releases (create, then upsert).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "productops.settings")
os.environ.setdefault("KPI_ROLLUP_ON_COMMIT", "false")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from metrics.kpis.catalog import KPIS  # noqa: E402
from metrics.models import KpiSnapshot, Release  # noqa: E402
from squads.models import Area, Squad  # noqa: E402


class _Rollback(Exception):
    pass


def fill(snapshots: int) -> None:
    area = Area.objects.create(slug="bench-area")
    squads = [
        Squad.objects.create(slug=f"bench-{i}", name=f"Bench {i}", area=area, monthly_cost_per_head=1)
        for i in range(40)
    ]
    scopes = ["org", "area:bench-area", *[s.scope for s in squads]]
    now = timezone.now()
    rows, week = [], 0
    while len(rows) < snapshots:
        start = dt.date(2020, 1, 6) + dt.timedelta(weeks=week)
        for kpi in KPIS:
            for scope in scopes:
                rows.append(KpiSnapshot(metric=kpi.code, scope=scope, grain="week", period_start=start,
                                        value=1.5, sample_size=3, computed_at=now))  # fmt: skip
        week += 1
    KpiSnapshot.objects.bulk_create(rows[:snapshots], batch_size=5000)
    Release.objects.bulk_create(
        [
            Release(
                external_id=f"bench-rel-{i}",
                squad=squads[i % 40],
                version=str(i),
                released_at=now - dt.timedelta(hours=i),
                status="succeeded",
            )  # fmt: skip
            for i in range(1000)
        ]
    )


def walk(client: APIClient, url: str) -> tuple[int, int, float, int]:
    pages = rows = 0
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        next_url: str | None = url
        while next_url:
            body = client.get(next_url).json()
            rows += len(body["results"])
            next_url = body["next"]
            pages += 1
    return pages, rows, time.perf_counter() - started, len(queries)


def main() -> None:
    snapshots = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    try:
        with transaction.atomic():
            fill(snapshots)
            user = get_user_model().objects.create(username="bench-api", is_superuser=True)
            client = APIClient(SERVER_NAME="127.0.0.1")
            client.force_authenticate(user)
            for size in (1000, 5000):
                pages, rows, secs, queries = walk(client, f"/api/kpis/?page_size={size}")
                print(f"/api/kpis/ all {rows} rows, page_size={size}: {pages} pages in {secs:.2f}s "
                      f"({secs / pages * 1000:.0f} ms/page, {queries} queries)")  # fmt: skip
            pages, rows, secs, queries = walk(client, "/api/kpis/?metric=releases&scope=squad:bench-1&grain=week")
            print(f"/api/kpis/ one series ({rows} rows): {secs * 1000:.0f} ms, {queries} queries")
            pages, rows, secs, queries = walk(client, "/api/releases/?page_size=1000")
            print(f"/api/releases/ {rows} rows at 1000/page: {secs * 1000:.0f} ms, {queries} queries")
            started = time.perf_counter()
            for i in range(200):
                data = {"external_id": f"bench-post-{i % 100}", "squad": "bench-1", "version": str(i),
                        "released_at": "2026-03-01T10:00:00Z", "status": "succeeded"}  # fmt: skip
                assert client.post("/api/releases/", data, format="json").status_code in (200, 201)
            secs = time.perf_counter() - started
            print(f"POST /api/releases/ x200 (100 creates, 100 upserts): {secs:.2f}s, {secs / 200 * 1000:.1f} ms each")
            raise _Rollback
    except _Rollback:
        pass


if __name__ == "__main__":
    main()
