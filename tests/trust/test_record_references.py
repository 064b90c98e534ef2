"""References between records cannot cross squads or contradict time (issue 15, defects 1 and 11).

1. A PM may name in `caused_by_release` only releases of squads they manage (ops and admins:
   any) — otherwise ten posts move another squad's change failure rate.
11. A release cannot cause what began before it: `caused_by_release` released after the
    incident started is refused naming that field, and no duration KPI is ever negative.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.factories import IncidentFactory, ReleaseFactory

pytestmark = pytest.mark.django_db
UTC = dt.UTC
HEADER = "external_id,squad,severity,started_at,resolved_at,customer_impact,caused_by_release,title"


def api(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")


def incident(key: str, release: str | None, started: str = "2026-03-03T10:00:00Z") -> dict:
    return {
        "external_id": key,
        "squad": "alpha",
        "severity": 2,
        "started_at": started,
        "resolved_at": "2026-03-03T12:00:00Z",
        "customer_impact": False,
        "caused_by_release": release,
    }


@pytest.fixture
def releases(squad_a, squad_b):
    return {
        "own": ReleaseFactory(external_id="alpha-r1", squad=squad_a, released_at=dt.datetime(2026, 3, 2, tzinfo=UTC)),
        "other": ReleaseFactory(external_id="bravo-r1", squad=squad_b, released_at=dt.datetime(2026, 3, 2, tzinfo=UTC)),
        "later": ReleaseFactory(
            external_id="alpha-r2", squad=squad_a, released_at=dt.datetime(2026, 3, 3, 11, 0, tzinfo=UTC)
        ),
    }


def test_a_pm_cannot_blame_another_squads_release_through_the_api(users, releases):
    client = api(users["pm"])
    response = client.post("/api/incidents/", incident("i-1", "bravo-r1"), content_type="application/json")
    assert response.status_code == 400
    assert "caused_by_release" in response.json()
    assert (
        client.post("/api/incidents/", incident("i-2", "alpha-r1"), content_type="application/json").status_code == 201
    )
    # Re-pointing an existing incident is the same write.
    response = client.put("/api/incidents/i-2/", incident("i-2", "bravo-r1"), content_type="application/json")
    assert response.status_code == 400
    assert "caused_by_release" in response.json()


def test_ops_and_admins_may_name_any_squads_release(users, releases):
    for role in ("ops", "admin"):
        response = api(users[role]).post(
            "/api/incidents/", incident(f"i-{role}", "bravo-r1"), content_type="application/json"
        )
        assert response.status_code in (201, 403), response.content  # ops may not write incidents at all
        if role == "admin":
            assert response.status_code == 201


def test_a_pm_cannot_blame_another_squads_release_through_csv(users, releases):
    from metrics.records.ingest.importer import import_csv

    rows = [HEADER, "i-1,alpha,2,2026-03-03T10:00:00Z,,false,bravo-r1,x"]
    report = import_csv(kind="incidents", stream=io.StringIO("\n".join(rows) + "\n"), user=users["pm"])
    assert [(e.line, e.field) for e in report.errors] == [(2, "caused_by_release")]


def test_a_release_made_after_the_incident_started_is_refused(users, releases):
    client = api(users["admin"])
    response = client.post("/api/incidents/", incident("i-late", "alpha-r2"), content_type="application/json")
    assert response.status_code == 400, response.content
    assert "caused_by_release" in response.json()
    from metrics.records.ingest.importer import import_csv

    rows = [HEADER, "i-late,alpha,2,2026-03-03T10:00:00Z,2026-03-03T12:00:00Z,false,alpha-r2,x"]
    report = import_csv(kind="incidents", stream=io.StringIO("\n".join(rows) + "\n"))
    assert [(e.line, e.field) for e in report.errors] == [(2, "caused_by_release")]
    # Moving the release after an incident it caused is refused too.
    ok = client.post("/api/incidents/", incident("i-ok", "alpha-r1"), content_type="application/json")
    assert ok.status_code == 201
    moved = {
        "external_id": "alpha-r1",
        "squad": "alpha",
        "version": "9",
        "status": "succeeded",
        "released_at": "2026-03-04T10:00:00Z",
    }
    response = client.put("/api/releases/alpha-r1/", moved, content_type="application/json")
    assert response.status_code == 400
    assert "released_at" in response.json()


def test_no_duration_kpi_is_negative_even_with_a_contradictory_legacy_row(users, squad_a):
    release = ReleaseFactory(external_id="late", squad=squad_a, released_at=dt.datetime(2026, 3, 3, 11, tzinfo=UTC))
    # A row stored before the rule existed (written around the validation, as old data was).
    inc = IncidentFactory(
        external_id="legacy",
        squad=squad_a,
        started_at=dt.datetime(2026, 3, 3, 10, tzinfo=UTC),
        resolved_at=dt.datetime(2026, 3, 3, 10, 30, tzinfo=UTC),
    )
    type(inc).objects.filter(pk=inc.pk).update(caused_by_release=release)
    call_command("rollup_kpis", "--full", stdout=io.StringIO())
    from metrics.kpis.catalog import CATALOG

    durations = [code for code, kpi in CATALOG.items() if "hour" in kpi.unit or "day" in kpi.unit]
    assert "recovery_hours" in durations
    client = api(users["viewer"])
    for code in durations:
        values = [r["value"] for r in client.get(f"/api/kpis/?metric={code}").json()["results"]]
        assert all(v is None or v >= 0 for v in values), (code, values)


def test_a_pm_cannot_attach_a_change_to_another_squads_release(users, releases):
    from metrics.records.models import Change

    client = api(users["pm"])
    change = {"external_id": "c-1", "release": "bravo-r1", "first_commit_at": "2026-03-01T09:00:00Z"}
    response = client.post("/api/changes/", change, content_type="application/json")
    assert response.status_code in (400, 403), response.content
    assert not Change.objects.exists()
    change["release"] = "alpha-r1"
    assert client.post("/api/changes/", change, content_type="application/json").status_code == 201
    # Re-pointing it at another squad's release is refused too.
    response = client.put("/api/changes/c-1/", {**change, "release": "bravo-r1"}, content_type="application/json")
    assert response.status_code in (400, 403)
    assert Change.objects.get().release.external_id == "alpha-r1"
