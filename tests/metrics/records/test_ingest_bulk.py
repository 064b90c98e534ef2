"""Large imports run in bulk: the number of queries depends on rows / BATCH_SIZE,
never on one query per row (no timing asserts: see bench/import_records_bench.py)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics.models import Incident
from metrics.records.ingest import importer
from metrics.records.ingest.importer import import_csv
from tests.factories import ReleaseFactory, SquadFactory

INC_HEADER = "external_id,squad,severity,started_at,resolved_at,customer_impact,caused_by_release,title"


def incidents_csv(
    rows: int, *, squads: list[str], releases: list[str], prefix: str = "inc", title: str = "t"
) -> io.BytesIO:
    lines = [INC_HEADER]
    for i in range(rows):
        day = 1 + i % 28
        release = releases[i % len(releases)] if i % 2 else ""
        lines.append(
            f"{prefix}-{i},{squads[i % len(squads)]},{1 + i % 4},2026-02-{day:02d}T10:00:00Z,"
            f"2026-02-{day:02d}T11:00:00+01:00,{'yes' if i % 3 else 'no'},{release},{title} {i}"
        )
    return io.BytesIO(("\n".join(lines) + "\n").encode())


@pytest.fixture
def org(squad_a, squad_b):
    squads = [squad_a, squad_b] + [SquadFactory(slug=f"s{n}") for n in range(5)]
    # released before the incidents naming them begin (a release cannot cause what began before it)
    released = dt.datetime(2026, 1, 15, tzinfo=dt.UTC)
    releases = [
        ReleaseFactory(external_id=f"rel-{n}", squad=squads[n % len(squads)], released_at=released).external_id
        for n in range(20)
    ]
    return [s.slug for s in squads], releases


@pytest.mark.slow
def test_query_count_does_not_grow_with_rows(org, users, monkeypatch) -> None:
    """With one batch covering the file, 2k and 4k rows cost the same queries to
    create, update and re-import, with or without a user's scope check."""
    monkeypatch.setattr(importer, "BATCH_SIZE", 10_000)
    squads, releases = org

    def cost(rows: int, prefix: str, title: str, action: str, user=None, only=squads, rels=releases) -> int:
        stream = incidents_csv(rows, squads=only, releases=rels, prefix=prefix, title=title)
        with CaptureQueriesContext(connection) as captured:
            report = import_csv(kind="incidents", stream=stream, user=user)
        assert report.errors == []
        assert {o.action for o in report.rows} == {action}
        return len(captured)

    for title, action in (("first", "create"), ("changed", "update"), ("changed", "unchanged")):
        small, big = cost(2000, "small", title, action), cost(4000, "big", title, action)
        assert small == big, action
        assert big <= 12, action

    def pm():
        """alpha's PM, loaded afresh so Django's per-user permission cache starts empty each time"""
        return type(users["pm"]).objects.get(pk=users["pm"].pk)

    alphas = [r for n, r in enumerate(releases) if n % len(squads) == 0]  # a PM names only their squads' releases
    assert cost(2000, "pm-small", "t", "create", pm(), ["alpha"], alphas) == cost(
        4000, "pm-big", "t", "create", pm(), ["alpha"], alphas
    )
    assert Incident.objects.count() == 12000


def test_a_large_import_runs_in_bulk_batches(org, django_assert_max_num_queries, monkeypatch) -> None:
    """50 batches, as 100k rows make with the real BATCH_SIZE of 2,000, from 10k rows in batches
    of 200: the same queries per batch, a tenth of the rows (the import's speed at full size is
    measured in bench/import_records_bench.py)."""
    monkeypatch.setattr(importer, "BATCH_SIZE", 200)
    squads, releases = org
    rows = 10_000
    batches = -(-rows // importer.BATCH_SIZE)
    assert batches == 50
    with django_assert_max_num_queries(12 + 2 * batches):  # fetch existing + insert, per batch
        report = import_csv(kind="incidents", stream=incidents_csv(rows, squads=squads, releases=releases))
    assert (report.created, report.errors) == (rows, [])
    assert Incident.objects.count() == rows
    assert Incident.objects.filter(caused_by_release__external_id="rel-1").count() == rows // 2 // 10
