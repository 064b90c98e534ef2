"""Dates and ranges a request can ask for are bounded (issue 15, defects 3 and 4).

3. A release dated 0001-01-01 was stored, and every rollup after it died with MemoryError;
   `?to=9999-12-31` gave 500. Event times must lie in a sane, configurable window and
   filters likewise, with a per-field error; the rollup never sizes arrays from an
   unchecked date.
4. `/squads/<slug>/?grain=week&from=0001-01-01` took 8–14 s and 5.2 MB: every range is
   bounded (520 periods) with a clear message.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.factories import ReleaseFactory

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def api(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}", raise_request_exception=False)


def release(key: str, when: str) -> dict:
    return {"external_id": key, "squad": "alpha", "version": "1", "status": "succeeded", "released_at": when}


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00Z", "1999-12-31T23:59:59Z", "9999-12-31T00:00:00Z"])
def test_event_times_outside_the_window_are_refused_naming_the_field(users, when):
    response = api(users["admin"]).post("/api/releases/", release("r-odd", when), content_type="application/json")
    assert response.status_code == 400, response.content[:200]
    assert "released_at" in response.json()
    assert "2000-01-01" in str(response.json()["released_at"])


def test_the_window_accepts_the_recent_past_and_tomorrow(users):
    tomorrow = (dt.datetime.now(UTC) + dt.timedelta(hours=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    client = api(users["admin"])
    assert (
        client.post(
            "/api/releases/", release("r-1", "2000-01-01T00:00:00Z"), content_type="application/json"
        ).status_code
        == 201
    )
    assert client.post("/api/releases/", release("r-2", tomorrow), content_type="application/json").status_code == 201


def test_csv_rows_outside_the_window_are_line_errors(users, squad_a):
    from metrics.records.ingest.importer import import_csv

    text = "external_id,squad,version,released_at,first_commit_at,status\nr1,alpha,1,0001-01-01T00:00:00Z,,succeeded\n"
    report = import_csv(kind="releases", stream=io.StringIO(text))
    assert [(e.line, e.field) for e in report.errors] == [(2, "released_at")]


@pytest.mark.parametrize(
    "query", ["released_at_before=9999-12-31", "released_at_after=0001-01-01", "to=9999-12-31", "from=0001-01-01"]
)
def test_record_filters_outside_the_window_are_a_400(users, query):
    response = api(users["viewer"]).get(f"/api/releases/?{query}")
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 400:
        assert query.split("=")[0] in response.json()


def test_kpi_ranges_are_bounded_with_a_clear_message(users):
    client = api(users["viewer"])
    response = client.get("/api/kpis/?grain=week&from=2000-01-01&to=2026-11-30")
    assert response.status_code == 400
    assert "520" in str(response.json())
    assert client.get("/api/kpis/?grain=week&from=2020-01-01&to=2026-11-30").status_code == 200
    assert client.get("/api/kpis/?to=9999-12-31").status_code == 400


@pytest.mark.parametrize("path", ["/", "/squads/alpha/", "/metrics/incidents/"])
def test_dashboard_ranges_are_bounded_and_dates_checked(client_for, users, path):
    client = client_for(users["viewer"])
    client.raise_request_exception = False
    response = client.get(f"{path}?grain=week&from=0001-01-01")
    assert response.status_code == 200
    assert "2000-01-01" in str(response.context["form"].errors.get("date_from"))
    for start in ("0001-01-01", "2000-01-01"):
        controls = client.get(f"{path}?grain=week&from={start}").context["controls"]
        assert (controls.date_to - controls.period_from()).days / 7 <= 520
    response = client.get(f"{path}?grain=week&from=2000-01-01")
    assert "520" in response.content.decode()  # the form says why the range was cut
    response = client.get(f"{path}?to=9999-12-31")
    assert response.status_code == 200
    assert response.context["form"].errors.get("date_to")


def test_the_rollup_ignores_a_row_dated_outside_the_window(users, squad_a):
    """A row written around the validation (old data, raw SQL) cannot make the rollup size its
    arrays from year 1: it is skipped, and the rest is rolled up."""
    good = ReleaseFactory(external_id="ok", squad=squad_a, released_at=dt.datetime(2026, 3, 2, tzinfo=UTC))
    odd = ReleaseFactory(external_id="odd", squad=squad_a, released_at=dt.datetime(2026, 3, 2, tzinfo=UTC))
    type(odd).objects.filter(pk=odd.pk).update(released_at=dt.datetime(1, 1, 1, tzinfo=UTC))
    call_command("rollup_kpis", "--full", stdout=io.StringIO())
    rows = api(users["viewer"]).get("/api/kpis/?metric=releases&scope=squad:alpha&grain=month").json()["results"]
    assert [(r["period_start"], r["value"]) for r in rows if r["value"]] == [("2026-03-01", 1.0)]
    assert good.pk
