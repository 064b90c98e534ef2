"""Incremental rollup: a record change recomputes exactly the snapshots it should, and the
result always equals a full rollup."""

from __future__ import annotations

import datetime as dt

import pytest

from metrics.kpis import rollup
from metrics.models import Defect, DirtyRange, Incident, KpiSnapshot, RollupRun
from squads.models import Area, Squad
from tests.factories import DefectFactory, SquadFactory
from tests.metrics.kpis.kpi_fixture import NOW, all_snapshots, build_org, t

PERIODS = {"week": None, "month": "2026-03-01", "quarter": "2026-01-01"}


@pytest.fixture
def org(db):
    squads = build_org()
    rollup.full_rollup(now=NOW)
    rollup.incremental_rollup(now=NOW)  # consume the dirty marks the fixture's saves left
    assert not DirtyRange.objects.exists()
    return squads


def _changed(before: dict, after: dict) -> set[tuple]:
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}


def _keys(metrics: list[str], scopes: list[str], periods: dict[str, str]) -> set[tuple]:
    return {(m, s, g, dt.date.fromisoformat(p)) for m in metrics for s in scopes for g, p in periods.items()}


def _assert_equals_full_rollup() -> None:
    incremental = all_snapshots()
    rollup.full_rollup(now=NOW)
    assert all_snapshots() == incremental


def test_editing_a_defect_changes_exactly_its_snapshots(org: dict) -> None:
    before = all_snapshots()
    defect = Defect.objects.get(external_id="D2")  # alpha, Mar 5, production → testing
    defect.found_in = "testing"
    defect.save()
    rollup.incremental_rollup(now=NOW)
    after = all_snapshots()
    # D2 sits in week Mar 2, March, Q1 of alpha, area payments and org; only the escape KPIs move
    expected = _keys(
        ["escaped_defects", "escaped_defect_rate"],
        ["squad:alpha", "area:payments", "org"],
        {"week": "2026-03-02", "month": "2026-03-01", "quarter": "2026-01-01"},
    )
    assert _changed(before, after) == expected
    key = ("escaped_defect_rate", "squad:alpha", "month", dt.date(2026, 3, 1))
    assert after[key] == (round(100 / 3, 9), 3)  # D1 of D1, D2, D3
    assert after[("escaped_defect_rate", "org", "quarter", dt.date(2026, 1, 1))] == (20.0, 5)  # 1 of 5
    assert not DirtyRange.objects.exists()
    _assert_equals_full_rollup()


def test_deleting_an_incident_changes_exactly_its_snapshots(org: dict) -> None:
    before = all_snapshots()
    Incident.objects.get(external_id="I3").delete()  # alpha sev 2, Mar 10 12:00–16:00, customer impact
    rollup.incremental_rollup(now=NOW)
    after = all_snapshots()
    expected = _keys(
        ["incidents", "major_incidents", "mttr_hours", "uptime_pct"],
        ["squad:alpha", "area:payments", "org"],
        {"week": "2026-03-09", "month": "2026-03-01", "quarter": "2026-01-01"},
    )
    assert _changed(before, after) == expected
    # alpha March: I2 [10, 14) + I1's 2 h = 6 h of 744 h down, 2 incidents overlap
    value, n = after[("uptime_pct", "squad:alpha", "month", dt.date(2026, 3, 1))]
    assert (value, n) == (pytest.approx(100 * (1 - 6 / 744)), 2)
    # payments March mttr: I2 4 h, I5 2.5 h → 3.25
    assert after[("mttr_hours", "area:payments", "month", dt.date(2026, 3, 1))] == (3.25, 2)
    _assert_equals_full_rollup()


def test_moving_a_squad_to_another_area(org: dict) -> None:
    charlie = Squad.objects.get(slug="charlie")
    charlie.area = Area.objects.get(slug="labs")
    charlie.save()
    rollup.incremental_rollup(now=NOW)
    # charlie's R5 (April) now counts in labs, no longer in payments
    assert (
        KpiSnapshot.objects.get(
            metric="releases", scope="area:labs", grain="month", period_start=dt.date(2026, 4, 1)
        ).value
        == 1
    )
    assert (
        KpiSnapshot.objects.get(
            metric="releases", scope="area:payments", grain="month", period_start=dt.date(2026, 4, 1)
        ).value
        == 0
    )
    _assert_equals_full_rollup()


def test_new_and_removed_scopes(org: dict) -> None:
    Squad.objects.filter(slug="delta").delete()  # no records: can go; its snapshots must go too
    SquadFactory(slug="echo", area=Area.objects.get(slug="labs"))
    Area.objects.create(slug="brand-new")
    rollup.incremental_rollup(now=NOW)
    scopes = set(KpiSnapshot.objects.values_list("scope", flat=True))
    assert "squad:delta" not in scopes
    assert {"squad:echo", "area:brand-new"} <= scopes
    _assert_equals_full_rollup()


def test_a_record_before_all_others_adds_periods_for_every_scope(org: dict) -> None:
    DefectFactory(external_id="OLD", squad=Squad.objects.get(slug="bravo"), found_at=t("2025-11-20 10:00"))
    rollup.incremental_rollup(now=NOW)
    # the first month is now November 2025, for every scope (charlie's count there is 0)
    assert (
        KpiSnapshot.objects.get(
            metric="defects_found", scope="squad:charlie", grain="month", period_start=dt.date(2025, 11, 1)
        ).value
        == 0
    )
    assert (
        KpiSnapshot.objects.get(
            metric="defects_found", scope="area:growth", grain="quarter", period_start=dt.date(2025, 10, 1)
        ).value
        == 1
    )
    _assert_equals_full_rollup()
    Defect.objects.get(external_id="OLD").delete()
    rollup.incremental_rollup(now=NOW)
    assert not KpiSnapshot.objects.filter(period_start__lt=dt.date(2026, 1, 1), grain="month").exists()
    _assert_equals_full_rollup()


def test_time_passing_refreshes_the_current_period(org: dict) -> None:
    later = NOW + dt.timedelta(days=20)  # May 5: a new month, the open incident I4 still open
    rollup.incremental_rollup(now=later)
    # April has ended: L = 720 h; bravo's open I4 ran from Apr 14 12:00 to May 1 00:00 = 396 h
    value, n = KpiSnapshot.objects.filter(
        metric="uptime_pct", scope="squad:bravo", grain="month", period_start=dt.date(2026, 4, 1)
    ).values_list("value", "sample_size")[0]
    assert (value, n) == (pytest.approx(100 * (1 - 396 / 720)), 1)
    assert KpiSnapshot.objects.filter(grain="month", period_start=dt.date(2026, 5, 1)).exists()
    incremental = all_snapshots()
    rollup.full_rollup(now=later)
    assert all_snapshots() == incremental


def test_runs_are_recorded_and_a_failed_run_keeps_the_dirty_marks(org: dict, monkeypatch) -> None:
    run = RollupRun.objects.filter(kind="incremental").latest()
    assert run.status == "succeeded"
    assert run.finished_at is not None
    defect = Defect.objects.get(external_id="D0")
    defect.severity = 1
    defect.save()
    marks = DirtyRange.objects.count()
    assert marks > 0

    def broken(*args, **kwargs):
        raise RuntimeError("formula exploded")

    monkeypatch.setattr(rollup, "compute_grain", broken)
    with pytest.raises(RuntimeError):
        rollup.incremental_rollup(now=NOW)
    failed = RollupRun.objects.filter(kind="incremental").order_by("-id").first()
    assert failed.status == "failed"
    assert "formula exploded" in failed.error
    assert DirtyRange.objects.count() == marks


def test_ensure_snapshots_does_a_full_rollup_on_an_empty_table(db) -> None:
    build_org()
    DirtyRange.objects.all().delete()  # even with no dirty marks at all
    assert rollup.ensure_snapshots(now=NOW) == 1728 + 504 + 336
    assert KpiSnapshot.objects.count() == 1728 + 504 + 336


def test_units_are_json_and_together_rebuild_every_grain(org: dict) -> None:
    import json

    units = rollup.rollup_units(now=NOW)
    assert json.loads(json.dumps(units)) == units
    assert len(units) > 1  # windows of time, each owning the periods that start in it
    before = all_snapshots()
    KpiSnapshot.objects.filter(grain="month").delete()
    assert sum(rollup.run_unit(unit, now=NOW) for unit in units) == 504
    assert all_snapshots() == before
    assert sum(rollup.run_unit(unit, now=NOW) for unit in units) == 0  # idempotent: nothing left to change


def test_a_unit_of_the_earlier_per_grain_form_still_rebuilds_its_grain(org: dict) -> None:
    before = all_snapshots()
    KpiSnapshot.objects.filter(grain="month").delete()
    assert rollup.run_unit({"grain": "month", "since": None}, now=NOW) == 504  # a message queued before an upgrade
    assert all_snapshots() == before


def test_no_records_up_to_now_means_no_snapshots(db) -> None:
    from tests.factories import ReleaseFactory

    squad = SquadFactory(slug="solo")
    assert rollup.full_rollup(now=NOW) == 0
    ReleaseFactory(squad=squad, released_at=NOW + dt.timedelta(days=3))  # only a future record
    assert rollup.incremental_rollup(now=NOW) == 0
    assert rollup.full_rollup(now=NOW) == 0
    assert not KpiSnapshot.objects.exists()
    # once "now" reaches it, it counts
    rollup.incremental_rollup(now=NOW + dt.timedelta(days=4))
    assert (
        KpiSnapshot.objects.get(
            metric="releases", scope="squad:solo", grain="week", period_start=dt.date(2026, 4, 13)
        ).value
        == 1
    )


def test_deleting_the_earliest_record_still_updates_the_period_it_shared(org: dict) -> None:
    # A defect on Jan 30 becomes the earliest record; deleting it makes A4 (month 2026-02-01) the earliest
    # again. Jan 30 then lies before the first record's day, but its week (Jan 26) and quarter (Q1) still
    # exist and must be recomputed.
    DefectFactory(external_id="EARLY", squad=Squad.objects.get(slug="alpha"), found_at=t("2026-01-30 10:00"))
    rollup.incremental_rollup(now=NOW)
    q1 = {"metric": "defects_found", "scope": "squad:alpha", "grain": "quarter", "period_start": dt.date(2026, 1, 1)}
    assert KpiSnapshot.objects.get(**q1).value == 5  # D0 (Feb 3), D1, D2, D3 (March) + EARLY
    Defect.objects.get(external_id="EARLY").delete()
    rollup.incremental_rollup(now=NOW)
    assert KpiSnapshot.objects.get(**q1).value == 4
    assert not KpiSnapshot.objects.filter(grain="month", period_start=dt.date(2026, 1, 1)).exists()
    _assert_equals_full_rollup()
