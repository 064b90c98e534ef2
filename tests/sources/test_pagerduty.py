"""PagerDuty → incidents against the local fake: every mapping rule, pagination, re-sync."""

from __future__ import annotations

import datetime as dt

import pytest

from metrics.models import Incident
from sources.sync import sync_source
from tests.factories import ReleaseFactory
from tests.sources.fake_pagerduty import pd_incident

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(autouse=True)
def _quiet(waits):
    return waits


def test_every_mapping_rule(pd_source, fake_pd):
    fake_pd.add(
        pd_incident(
            "P1X",
            priority="P1",
            created_at="2026-01-10T10:00:00Z",
            resolved_at="2026-01-10T12:30:00Z",
            title="Checkout down",
        ),
        pd_incident("P2X", priority="P2", service="PSVC002", created_at="2026-01-11T10:00:00Z"),
        pd_incident("P3X", priority="P3", created_at="2026-01-12T10:00:00Z"),
        pd_incident("P5X", priority="P5", created_at="2026-01-13T10:00:00Z"),
        pd_incident("UHX", priority=None, urgency="high", created_at="2026-01-14T10:00:00Z"),
        pd_incident("ULX", priority=None, urgency="low", created_at="2026-01-15T10:00:00Z"),
        # open: no resolved_at, still triggered
        pd_incident("OPN", status="triggered", resolved_at=None, created_at="2026-01-16T10:00:00Z"),
        # resolved, but the API left resolved_at empty: last_status_change_at is when it was resolved
        pd_incident(
            "RNR",
            status="resolved",
            resolved_at=None,
            last_status_change_at="2026-01-17T15:45:00Z",
            created_at="2026-01-17T10:00:00Z",
        ),
    )
    report = sync_source(pd_source, full=True)
    assert report.ok, report.error
    assert report.created == 8

    got = {i.external_id: i for i in Incident.objects.select_related("squad")}
    expected = {  # external_id: (squad, severity, customer_impact, started, resolved)
        "pagerduty:P1X": ("alpha", 1, True, "2026-01-10T10:00:00Z", "2026-01-10T12:30:00Z"),
        "pagerduty:P2X": ("bravo", 2, True, "2026-01-11T10:00:00Z", "2026-01-11T12:00:00Z"),
        "pagerduty:P3X": ("alpha", 3, False, "2026-01-12T10:00:00Z", "2026-01-12T12:00:00Z"),
        "pagerduty:P5X": ("alpha", 4, False, "2026-01-13T10:00:00Z", "2026-01-13T12:00:00Z"),
        "pagerduty:UHX": ("alpha", 2, True, "2026-01-14T10:00:00Z", "2026-01-14T12:00:00Z"),
        "pagerduty:ULX": ("alpha", 4, False, "2026-01-15T10:00:00Z", "2026-01-15T12:00:00Z"),
        "pagerduty:OPN": ("alpha", 1, True, "2026-01-16T10:00:00Z", None),
        "pagerduty:RNR": ("alpha", 1, True, "2026-01-17T10:00:00Z", "2026-01-17T15:45:00Z"),
    }
    assert set(got) == set(expected)
    for key, (squad, severity, impact, started, resolved) in expected.items():
        incident = got[key]
        assert (incident.squad.slug, incident.severity, incident.customer_impact) == (squad, severity, impact), key
        assert incident.started_at == at(started)
        assert incident.resolved_at == (at(resolved) if resolved else None)
    assert got["pagerduty:P1X"].title == "Checkout down"


def _many(n: int, *, start: str = "2026-02-01T00:00:00Z", service: str = "PSVC001") -> list[dict]:
    base = at(start)
    return [
        pd_incident(
            f"M{i:03d}",
            service=service,
            priority="P3",
            created_at=(base + dt.timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        for i in range(n)
    ]


def test_pages_to_the_end_and_resync_creates_nothing(pd_source, fake_pd, monkeypatch):
    monkeypatch.setattr("sources.tools.pagerduty.PAGE_SIZE", 3)
    fake_pd.add(*_many(10))
    first = sync_source(pd_source, full=True)
    assert (first.created, first.updated, first.unchanged) == (10, 0, 0)
    offsets = [
        r.arg("offset")
        for r in fake_pd.requests
        if r.path == "/incidents" and r.arg("since") < "2026-02-02" and r.arg("until") > "2026-02-01"
    ]
    assert offsets == ["0", "3", "6", "9"]  # four pages of one window

    again = sync_source(pd_source, full=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 10)
    assert Incident.objects.count() == 10


def test_incremental_run_starts_at_the_cursor(pd_source, fake_pd):
    fake_pd.add(*_many(2))
    sync_source(pd_source, full=True)
    pd_source.refresh_from_db()
    assert pd_source.cursor["since"] > "2026-11-01"  # every window read up to now
    cursor = pd_source.cursor["since"]  # the run below moves pd_source.cursor on to its own end
    fake_pd.requests.clear()
    sync_source(pd_source)
    lists = [r for r in fake_pd.requests if r.path == "/incidents"]
    assert len(lists) == 1
    assert lists[0].arg("since") == cursor


def test_unmapped_services_are_skipped_and_counted_with_examples(pd_source, fake_pd):
    fake_pd.add(*_many(3, service="PNOSQUAD"), pd_incident("MAPPED", created_at="2026-03-01T00:00:00Z"))
    report = sync_source(pd_source, full=True)
    assert report.created == 1
    assert report.unmapped == 3
    pd_source.refresh_from_db()
    assert pd_source.last_unmapped == 3
    assert pd_source.unmapped_examples["PNOSQUAD"]["count"] == 3
    assert pd_source.unmapped_examples["PNOSQUAD"]["examples"][0].startswith("M000")
    assert not Incident.objects.exclude(external_id="pagerduty:MAPPED").exists()


def test_a_resync_keeps_what_a_person_set_and_updates_what_the_tool_carries(pd_source, fake_pd, squad_a):
    fake_pd.add(pd_incident("KEEP", created_at="2026-03-01T10:00:00Z", title="first title"))
    sync_source(pd_source, full=True)
    release = ReleaseFactory(squad=squad_a, released_at=dt.datetime(2026, 3, 1, 9, tzinfo=UTC))
    incident = Incident.objects.get(external_id="pagerduty:KEEP")
    incident.caused_by_release = release
    incident.save()

    fake_pd.incidents["KEEP"]["title"] = "renamed in PagerDuty"
    report = sync_source(pd_source, full=True)
    assert (report.updated, report.created) == (1, 0)
    incident.refresh_from_db()
    assert incident.title == "renamed in PagerDuty"
    assert incident.caused_by_release_id == release.pk


def test_an_open_incident_resolved_later_is_picked_up_by_the_next_incremental_run(pd_source, fake_pd):
    fake_pd.add(pd_incident("LATE", status="acknowledged", resolved_at=None, created_at="2026-03-01T10:00:00Z"))
    sync_source(pd_source, full=True)
    assert Incident.objects.get(external_id="pagerduty:LATE").resolved_at is None
    # Resolved long after the cursor passed its creation time.
    fake_pd.incidents["LATE"].update(status="resolved", resolved_at="2026-03-04T08:00:00Z")
    report = sync_source(pd_source)
    assert report.updated == 1
    assert Incident.objects.get(external_id="pagerduty:LATE").resolved_at == at("2026-03-04T08:00:00Z")
    assert "/incidents/LATE" in fake_pd.paths()


def test_malformed_items_are_skipped_counted_and_shown_with_the_reason(pd_source, fake_pd):
    no_urgency = pd_incident("NOURG", priority=None, created_at="2026-03-01T10:00:00Z")
    no_urgency["urgency"] = None
    backwards = pd_incident("BACK", created_at="2026-03-02T10:00:00Z", resolved_at="2026-03-01T10:00:00Z")
    garbled = pd_incident("GARB", created_at="2026-03-03T10:00:00Z")
    garbled["created_at"] = "2026-03-03T10:00:00Z"  # listed in the window…
    fake_pd.add(no_urgency, backwards, garbled, pd_incident("GOOD", created_at="2026-03-04T10:00:00Z"))
    fake_pd.incidents["GARB"] = {**garbled, "created_at": "2026-03-03T10:00:00Z", "service": "not-an-object"}
    report = sync_source(pd_source, full=True)
    assert report.ok
    assert (report.created, report.malformed) == (1, 3)
    pd_source.refresh_from_db()
    reasons = {e["item"]: e["reason"] for e in pd_source.malformed_examples}
    assert "neither high nor low" in reasons["incident NOURG"]
    assert reasons["incident BACK"].startswith("resolved_at:")  # the record rule, by the record service
    assert reasons["incident GARB"] == "service.id: missing"
    assert list(Incident.objects.values_list("external_id", flat=True)) == ["pagerduty:GOOD"]
