"""A record changed by a sync reaches the KPI snapshots through the normal incremental rollup."""

from __future__ import annotations

import datetime as dt

from metrics.kpis import rollup
from metrics.models import DirtyRange, KpiSnapshot
from sources.sync import sync_source
from tests.sources.fake_pagerduty import pd_incident

NOW = dt.datetime(2026, 3, 31, 12, tzinfo=dt.UTC)


def _snapshot(metric: str, scope: str) -> tuple:
    row = KpiSnapshot.objects.get(metric=metric, scope=scope, grain="month", period_start=dt.date(2026, 3, 1))
    return row.value, row.sample_size


def test_a_synced_change_shows_in_the_snapshots(pd_source, fake_pd, waits):
    fake_pd.add(
        pd_incident("A1", priority="P3", created_at="2026-03-02T10:00:00Z", resolved_at="2026-03-02T14:00:00Z"),
        pd_incident("A2", priority="P3", created_at="2026-03-09T10:00:00Z", resolved_at="2026-03-09T12:00:00Z"),
    )
    sync_source(pd_source, full=True)
    rollup.full_rollup(now=NOW)
    rollup.incremental_rollup(now=NOW)
    assert not DirtyRange.objects.exists()
    # by hand: 2 incidents, none major; mean of 4 h and 2 h
    assert _snapshot("incidents", "squad:alpha") == (2.0, 2)
    assert _snapshot("major_incidents", "squad:alpha") == (0.0, 0)
    assert _snapshot("mttr_hours", "org") == (3.0, 2)

    # PagerDuty re-prioritises A2 to P1 and it took longer than first recorded.
    fake_pd.incidents["A2"].update(priority={"summary": "P1"}, resolved_at="2026-03-09T18:00:00Z")
    report = sync_source(pd_source, full=True)
    assert (report.updated, report.unchanged) == (1, 1)
    assert DirtyRange.objects.filter(scope="squad:alpha").exists()  # marked by the record service's write

    rollup.incremental_rollup(now=NOW)
    assert _snapshot("major_incidents", "squad:alpha") == (1.0, 1)
    assert _snapshot("mttr_hours", "org") == (6.0, 2)  # (4 h + 8 h) / 2
    assert _snapshot("mttr_hours", "area:payments") == (6.0, 2)
