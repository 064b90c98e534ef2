"""The `changes` record kind and the `change_lead_time_hours` KPI: rules on every write
path, import/export, API with PM scope through the release, and hand-worked KPI values
(full and incremental rollups)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from metrics.kpis import rollup
from metrics.kpis.catalog import dora_level
from metrics.models import Change, DirtyRange, KpiSnapshot
from metrics.records.ingest.importer import import_csv
from metrics.records.services import save_record
from tests.factories import ChangeFactory, ReleaseFactory, SquadFactory

UTC = dt.UTC
NOW = dt.datetime(2026, 4, 15, 12, tzinfo=UTC)


def t(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


@pytest.fixture
def release(squad_a):
    return ReleaseFactory(external_id="R1", squad=squad_a, released_at=t("2026-03-10 12:00"))


def test_rules_on_the_service_path(release):
    change = save_record(
        kind="changes",
        data={
            "external_id": "C1",
            "release": "R1",
            "first_commit_at": "2026-03-08T12:00:00Z",
            "merged_at": "2026-03-09T12:00:00Z",
            "title": "Add PDF invoices",
        },
    )
    assert change.squad_id == release.squad_id  # a change belongs to its release's squad
    cases = [
        ({"first_commit_at": "2026-03-11T00:00:00Z"}, "first_commit_at", "after the release's released_at"),
        ({"merged_at": "2026-03-07T00:00:00Z"}, "merged_at", "before first_commit_at"),
        ({"merged_at": "2026-03-10T12:00:01Z"}, "merged_at", "after the release's released_at"),
        ({"release": "NOPE"}, "release", 'unknown release "NOPE"'),
        ({"release": ""}, "release", "required"),
    ]
    for data, field, message in cases:
        with pytest.raises(ValidationError) as caught:
            save_record(
                kind="changes",
                data={"external_id": "C2", "release": "R1", "first_commit_at": "2026-03-08T12:00:00Z", **data},
            )
        assert message in " ".join(caught.value.message_dict[field]), (data, caught.value.message_dict)
    assert list(Change.objects.values_list("external_id", flat=True)) == ["C1"]


def test_a_release_cannot_move_before_its_changes(release):
    ChangeFactory(release=release, first_commit_at=t("2026-03-09 12:00"))
    with pytest.raises(ValidationError) as caught:
        save_record(kind="releases", data={"released_at": "2026-03-09T00:00:00Z"}, instance=release)
    assert "released_at" in caught.value.message_dict
    save_record(kind="releases", data={"released_at": "2026-03-09T13:00:00Z"}, instance=release)  # still after


def test_the_database_refuses_a_merge_before_the_first_commit(release):
    with pytest.raises(IntegrityError), transaction.atomic():
        Change.objects.create(
            external_id="X", release=release, first_commit_at=t("2026-03-09 12:00"), merged_at=t("2026-03-08 12:00")
        )


def test_import_and_export_through_the_kinds_registry(release, squad_b):
    from metrics.records.ingest.kinds import get_kind

    csv_text = (
        "external_id,release,first_commit_at,merged_at,title\n"
        "C1,R1,2026-03-08T12:00:00Z,,first\n"
        "C2,R1,2026-03-11T12:00:00Z,,too late\n"
        "C3,R9,2026-03-08T12:00:00Z,,no such release\n"
    )
    report = import_csv(kind="changes", stream=io.BytesIO(csv_text.encode()))
    assert [str(e) for e in report.errors] == [
        "line 3: first_commit_at: must not be after the release's released_at.",
        'line 4: release: unknown release "R9"',
    ]
    assert not Change.objects.exists()  # all or nothing
    ok = csv_text.splitlines()[0] + "\n" + csv_text.splitlines()[1] + "\n"
    report = import_csv(kind="changes", stream=io.BytesIO(ok.encode()))
    assert report.ok
    assert report.created == 1
    change = Change.objects.select_related("release").get()
    assert get_kind("changes").to_row(change) == {
        "external_id": "C1",
        "release": "R1",
        "first_commit_at": "2026-03-08T12:00:00Z",
        "merged_at": "",
        "title": "first",
    }
    # the import marked the release's day dirty for its squad
    assert DirtyRange.objects.filter(scope="squad:alpha", start=dt.date(2026, 3, 10)).exists()


def test_a_pm_writes_changes_of_their_own_squads_releases_only(users, client_for, release, squad_b):
    ReleaseFactory(external_id="RB", squad=squad_b, released_at=t("2026-03-10 12:00"))
    pm = client_for(users["pm"])
    body = {"external_id": "C1", "release": "R1", "first_commit_at": "2026-03-08T12:00:00Z"}
    response = pm.post("/api/changes/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["release"] == "R1"
    response = pm.post("/api/changes/", {**body, "external_id": "C2", "release": "RB"}, content_type="application/json")
    assert response.status_code == 403
    response = pm.patch("/api/changes/C1/", {"release": "RB"}, content_type="application/json")
    assert response.status_code == 403  # moving it to another squad's release
    assert Change.objects.get(external_id="C1").release.external_id == "R1"
    listed = client_for(users["viewer"]).get("/api/changes/?squad=alpha&from=2026-03-10&to=2026-03-10").json()
    assert [r["external_id"] for r in listed["results"]] == ["C1"]
    assert client_for(users["viewer"]).get("/api/changes/?squad=bravo").json()["results"] == []


def _value(scope: str, grain: str, start: str) -> tuple:
    row = KpiSnapshot.objects.get(
        metric="change_lead_time_hours", scope=scope, grain=grain, period_start=dt.date.fromisoformat(start)
    )
    return (None if row.value is None else round(row.value, 6)), row.sample_size


def test_change_lead_time_by_hand_full_and_incremental(db):
    alpha = SquadFactory(slug="alpha", area__slug="payments")
    bravo = SquadFactory(slug="bravo", area__slug="payments")
    r1 = ReleaseFactory(
        external_id="R1", squad=alpha, released_at=t("2026-03-10 12:00"), first_commit_at=t("2026-03-08 12:00")
    )
    r2 = ReleaseFactory(external_id="R2", squad=alpha, released_at=t("2026-03-20 12:00"))
    r3 = ReleaseFactory(external_id="R3", squad=bravo, released_at=t("2026-04-02 12:00"))
    # alpha, March: lead times 48 h, 10 h (R1) and 2 h, 100 h (R2) → median of 2, 10, 48, 100 = 29 h, 4 changes
    ChangeFactory(external_id="A", release=r1, first_commit_at=t("2026-03-08 12:00"))
    ChangeFactory(external_id="B", release=r1, first_commit_at=t("2026-03-10 02:00"))
    ChangeFactory(external_id="C", release=r2, first_commit_at=t("2026-03-20 10:00"))
    ChangeFactory(external_id="D", release=r2, first_commit_at=t("2026-03-16 08:00"))
    # bravo, April: 5 h
    ChangeFactory(external_id="E", release=r3, first_commit_at=t("2026-04-02 07:00"))
    rollup.full_rollup(now=NOW)
    rollup.incremental_rollup(now=NOW)
    assert _value("squad:alpha", "month", "2026-03-01") == (29.0, 4)
    assert _value("area:payments", "quarter", "2026-01-01") == (29.0, 4)
    assert _value("org", "quarter", "2026-04-01") == (5.0, 1)
    assert _value("squad:alpha", "week", "2026-03-09") == (29.0, 2)  # R1's week: median of 48 and 10
    assert _value("squad:bravo", "month", "2026-03-01") == (None, 0)
    # the release-level KPI is unchanged by changes: R1's own first_commit_at → 48 h, one release
    lead = KpiSnapshot.objects.get(
        metric="lead_time_hours", scope="squad:alpha", grain="month", period_start=dt.date(2026, 3, 1)
    )
    assert (lead.value, lead.sample_size) == (48.0, 1)

    # An edit through the service reaches the snapshots through the incremental rollup.
    change = Change.objects.get(external_id="D")
    save_record(kind="changes", data={"first_commit_at": "2026-03-20T11:00:00Z"}, instance=change)  # 100 h → 1 h
    rollup.incremental_rollup(now=NOW)
    assert _value("squad:alpha", "month", "2026-03-01") == (6.0, 4)  # median of 1, 2, 10, 48
    # Moving a release moves its changes' period.
    save_record(kind="releases", data={"released_at": "2026-04-01T12:00:00Z"}, instance=r2)
    rollup.incremental_rollup(now=NOW)
    assert _value("squad:alpha", "month", "2026-03-01") == (29.0, 2)  # 48 and 10
    # April: C and D now wait until Apr 1 12:00 — 290 h (from Mar 20 10:00) and 289 h (from Mar 20 11:00)
    assert _value("squad:alpha", "month", "2026-04-01") == (289.5, 2)
    incremental = {
        (r.metric, r.scope, r.grain, r.period_start): (r.value, r.sample_size)
        for r in KpiSnapshot.objects.filter(metric="change_lead_time_hours")
    }
    rollup.full_rollup(now=NOW)
    full = {
        (r.metric, r.scope, r.grain, r.period_start): (r.value, r.sample_size)
        for r in KpiSnapshot.objects.filter(metric="change_lead_time_hours")
    }
    assert incremental == full


def test_dora_levels_use_the_lead_time_thresholds():
    assert [dora_level("change_lead_time_hours", h) for h in (5, 24, 100, 700, 800)] == [
        "elite",
        "elite",
        "high",
        "medium",
        "low",
    ]
    assert dora_level("change_lead_time_hours", None) is None


def test_seed_demo_ships_changes_with_their_releases(db):
    from io import StringIO

    from django.core.management import call_command
    from django.db.models import F

    from metrics.models import Release
    from tests.metrics.demo.test_seed_demo import SMALL

    call_command("seed_demo", *SMALL, stdout=StringIO())
    with_start = Release.objects.filter(first_commit_at__isnull=False)
    assert Change.objects.count() >= with_start.count() > 0  # one to three per release with a first commit
    assert not Change.objects.filter(first_commit_at__gt=F("release__released_at")).exists()
    assert not Change.objects.filter(merged_at__gt=F("release__released_at")).exists()
    # each release's first commit is its earliest change's
    for release in with_start.order_by("?")[:20]:
        earliest = min(release.changes.values_list("first_commit_at", flat=True))
        assert earliest == release.first_commit_at
    assert KpiSnapshot.objects.filter(metric="change_lead_time_hours", scope="org", value__isnull=False).exists()
