"""`metrics.records.services`: single-record writes with the import's rules (API and admin path)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from metrics.models import DirtyRange, Incident, Release, TimeAllocation
from metrics.records.ingest.kinds import KINDS
from metrics.records.services import delete_record, kind_for_model, save_record
from tests.factories import IncidentFactory, ReleaseFactory

UTC = dt.UTC


def test_json_typed_values_are_accepted(squad_a) -> None:
    # released before the incident it causes started (a release cannot cause what began before it)
    rel = ReleaseFactory(external_id="r1", squad=squad_a, released_at=dt.datetime(2026, 2, 28, tzinfo=UTC))
    incident = save_record(
        kind="incidents",
        data={
            "external_id": "pager-1",
            "squad": "alpha",
            "severity": 1,
            "started_at": dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            "resolved_at": None,
            "customer_impact": True,
            "caused_by_release": "r1",
        },
    )
    incident.refresh_from_db()
    assert incident.started_at == dt.datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert (incident.severity, incident.customer_impact, incident.caused_by_release, incident.title) == (
        1,
        True,
        rel,
        "",
    )
    assert incident.resolved_at is None


def test_update_keeps_values_not_given(squad_a) -> None:
    incident = IncidentFactory(external_id="i1", squad=squad_a, title="Old", severity=3)
    save_record(kind="incidents", data={"resolved_at": "2026-03-03T13:00:00Z", "title": "New"}, instance=incident)
    incident.refresh_from_db()
    assert (incident.title, incident.severity, incident.resolved_at) == (
        "New", 3, dt.datetime(2026, 3, 3, 13, 0, tzinfo=UTC),
    )  # fmt: skip


def test_patch_is_checked_against_the_stored_values(squad_a) -> None:
    incident = IncidentFactory(squad=squad_a, started_at=dt.datetime(2026, 3, 3, 10, 0, tzinfo=UTC))
    with pytest.raises(ValidationError) as caught:
        save_record(kind="incidents", data={"resolved_at": "2026-03-03T09:00:00Z"}, instance=incident)
    assert caught.value.message_dict == {"resolved_at": ["must not be before started_at."]}


def test_unknown_fields_and_duplicate_keys_are_field_errors(squad_a) -> None:
    ReleaseFactory(external_id="taken", squad=squad_a)
    data = {
        "external_id": "taken",
        "squad": "alpha",
        "version": "1",
        "released_at": "2026-03-01",
        "status": "succeeded",
    }
    with pytest.raises(ValidationError) as caught:
        save_record(kind="releases", data=data)
    assert list(caught.value.message_dict) == ["external_id"]
    with pytest.raises(ValidationError) as caught:
        save_record(kind="releases", data={**data, "external_id": "new", "colour": "red"})
    assert caught.value.message_dict == {"colour": ["unknown field"]}
    assert Release.objects.count() == 1


def test_pm_writes_only_their_own_squads(users, squad_a, squad_b) -> None:
    pm = users["pm"]
    data = {"external_id": "r1", "squad": "alpha", "version": "1", "released_at": "2026-03-01", "status": "succeeded"}
    own = save_record(kind="releases", data=data, user=pm)
    with pytest.raises(PermissionDenied):
        save_record(kind="releases", data={**data, "external_id": "r2", "squad": "bravo"}, user=pm)
    with pytest.raises(PermissionDenied):  # moving their record into another squad
        save_record(kind="releases", data={"squad": "bravo"}, instance=own, user=pm)
    assert own.squad_id == squad_a.pk  # the refused change is not left on the caller's object
    other = ReleaseFactory(external_id="r3", squad=squad_b)
    with pytest.raises(PermissionDenied):  # taking another squad's record
        save_record(kind="releases", data={"squad": "alpha"}, instance=other, user=pm)
    with pytest.raises(PermissionDenied):
        delete_record(instance=other, user=pm)
    with pytest.raises(PermissionDenied):
        save_record(kind="releases", data={**data, "external_id": "r4"}, user=users["viewer"])
    assert sorted(Release.objects.values_list("external_id", "squad__slug")) == [("r1", "alpha"), ("r3", "bravo")]
    save_record(kind="releases", data={"squad": "alpha"}, instance=other, user=users["admin"])
    delete_record(instance=own, user=pm)
    assert list(Release.objects.values_list("external_id", "squad__slug")) == [("r3", "alpha")]


def test_ops_write_survey_results_but_not_releases(users, squad_a) -> None:
    ops = users["ops"]
    save_record(
        kind="time_allocations",
        user=ops,
        data={
            "external_id": "a1", "survey": "pulse", "squad": "alpha", "month": "2026-03", "headcount": 4,
            "pct_features": 60, "pct_quality": "10", "pct_support": 10.5, "pct_onboarding": 0, "pct_ktlo": 19.5,
            "pct_other": 0,
        },
    )  # fmt: skip
    assert TimeAllocation.objects.get().pct_support == Decimal("10.50")
    with pytest.raises(PermissionDenied):
        save_record(
            kind="releases", user=ops,
            data={"external_id": "r", "squad": "alpha", "version": "1", "released_at": "2026-03-01",
                  "status": "succeeded"},
        )  # fmt: skip


def test_delete_refuses_a_release_named_by_incidents(squad_a) -> None:
    rel = ReleaseFactory(squad=squad_a)
    IncidentFactory(squad=squad_a, caused_by_release=rel)
    with pytest.raises(ValidationError, match="still referenced by incidents"):
        delete_record(instance=rel, user=None)
    assert Release.objects.filter(pk=rel.pk).exists()


def test_single_writes_mark_dirty_through_signals(squad_a) -> None:
    DirtyRange.objects.all().delete()
    save_record(
        kind="defects",
        data={"external_id": "d1", "squad": "alpha", "severity": 2, "found_at": "2026-02-10T08:00:00Z",
              "found_in": "testing", "found_by": "internal"},
    )  # fmt: skip
    assert {(d.scope, d.start) for d in DirtyRange.objects.all()} == {
        ("org", dt.date(2026, 2, 10)), ("squad:alpha", dt.date(2026, 2, 10)), ("area:payments", dt.date(2026, 2, 10)),
    }  # fmt: skip


def test_kind_for_model(db) -> None:
    assert kind_for_model(Incident) is KINDS["incidents"]
    assert kind_for_model(Incident()) is KINDS["incidents"]
    assert [k.key for k in KINDS.values()] == ["slug"] + ["external_id"] * 6  # + changes
    with pytest.raises(KeyError):
        save_record(kind="widgets", data={})
