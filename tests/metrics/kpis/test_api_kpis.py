"""`/api/kpis/` returns stored snapshots in exactly the shape of docs/api.md, filtered and
paged; `/api/catalog/` lists every KPI of docs/kpis.md."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from metrics.models import KpiSnapshot
from tests.support.api_support import fast_password_hashing

pytestmark = pytest.mark.django_db
__all__ = ["fast_password_hashing"]  # autouse fixture

DOCUMENTED_CODES = {
    "defects_found", "escaped_defects", "escaped_defect_rate", "customer_found_defects",
    "incidents", "major_incidents", "mttr_hours", "recovery_hours", "uptime_pct", "change_failure_rate",
    "releases", "deploys_per_week", "lead_time_hours", "change_lead_time_hours", "support_cost", "support_time_pct",
    "feature_time_pct", "nps", "csat_pct", "promise_kept_pct", "survey_responses",
}  # fmt: skip


def _snap(metric: str, scope: str, grain: str, start: dt.date, value: float | None, n: int) -> KpiSnapshot:
    return KpiSnapshot.objects.create(
        metric=metric, scope=scope, grain=grain, period_start=start, value=value, sample_size=n,
        computed_at=timezone.now(),
    )  # fmt: skip


@pytest.fixture
def viewer(users, client_for) -> Client:
    return client_for(users["viewer"])


@pytest.fixture
def snapshots(squad_a) -> None:
    for week in range(6):  # Mondays from 2026-03-02
        _snap("releases", "org", "week", dt.date(2026, 3, 2) + dt.timedelta(weeks=week), float(week), week)
    _snap("releases", "squad:alpha", "week", dt.date(2026, 3, 2), 3.0, 3)
    _snap("releases", "org", "month", dt.date(2026, 3, 1), 15.0, 15)
    _snap("change_failure_rate", "org", "month", dt.date(2026, 3, 1), None, 0)
    _snap("change_failure_rate", "area:payments", "month", dt.date(2026, 3, 1), 12.5, 8)


def test_shape_is_exactly_results_and_next(viewer, snapshots) -> None:
    body = viewer.get("/api/kpis/", {"metric": "change_failure_rate"}).json()
    assert set(body) == {"results", "next"}
    assert body["next"] is None
    assert body["results"] == [
        {"metric": "change_failure_rate", "scope": "area:payments", "grain": "month",
         "period_start": "2026-03-01", "value": 12.5, "sample_size": 8},
        {"metric": "change_failure_rate", "scope": "org", "grain": "month",
         "period_start": "2026-03-01", "value": None, "sample_size": 0},
    ]  # fmt: skip


def test_filters_combine(viewer, snapshots) -> None:
    def starts(**params: str) -> list[tuple[str, str, str]]:
        response = viewer.get("/api/kpis/", params)
        assert response.status_code == 200, response.content
        return [(r["metric"], r["scope"], r["period_start"]) for r in response.json()["results"]]

    assert starts(metric="releases", scope="org", grain="week", **{"from": "2026-03-09", "to": "2026-03-23"}) == [
        ("releases", "org", "2026-03-09"),
        ("releases", "org", "2026-03-16"),
        ("releases", "org", "2026-03-23"),
    ]
    assert starts(scope="squad:alpha") == [("releases", "squad:alpha", "2026-03-02")]
    assert starts(grain="month", metric="releases") == [("releases", "org", "2026-03-01")]
    assert len(starts()) == 10
    assert starts(metric="releases,change_failure_rate", grain="month", scope="org") == [
        ("change_failure_rate", "org", "2026-03-01"),
        ("releases", "org", "2026-03-01"),
    ]
    assert starts(metric="nps") == []
    # Empty parameters, as in docs/api.md's `?metric=&scope=&grain=&from=&to=`, mean "no filter".
    assert len(starts(metric="", scope="", grain="", **{"from": "", "to": ""})) == 10


def test_next_link_walks_every_row_once(viewer, snapshots) -> None:
    seen: list[tuple] = []
    url: str | None = "/api/kpis/?grain=week&page_size=4"
    pages = 0
    while url:
        body = viewer.get(url).json()
        assert set(body) == {"results", "next"}
        seen += [(r["metric"], r["scope"], r["period_start"]) for r in body["results"]]
        url = body["next"]
        pages += 1
    assert pages == 2
    assert len(seen) == len(set(seen)) == 7
    assert seen == sorted(seen)  # metric, scope, period_start order


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"metric": "velocity"}, "metric"),
        ({"metric": "releases,nope"}, "metric"),
        ({"grain": "day"}, "grain"),
        ({"scope": "team:alpha"}, "scope"),
        ({"scope": "squad:ghost"}, "scope"),
        ({"scope": "area:"}, "scope"),
        ({"from": "2026-13-01"}, "from"),
        ({"to": "tomorrow"}, "to"),
        ({"from": "2026-04-01", "to": "2026-03-01"}, "to"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_parameter(viewer, snapshots, params, param) -> None:
    response = viewer.get("/api/kpis/", params)
    assert response.status_code == 400
    assert param in response.json()


@pytest.mark.parametrize("cursor", ["garbage", "WyJ4Il0=", "WyJhIiwiYiIsImMiLCJub3QgYSBkYXRlIl0=", "é"])
def test_a_bad_cursor_is_a_400_naming_it(viewer, snapshots, cursor) -> None:
    response = viewer.get("/api/kpis/", {"cursor": cursor})
    assert response.status_code == 400
    assert "cursor" in response.json()


def test_next_link_keeps_the_filters(viewer, snapshots) -> None:
    body = viewer.get("/api/kpis/", {"metric": "releases", "scope": "org", "grain": "week", "page_size": 2}).json()
    assert [r["period_start"] for r in body["results"]] == ["2026-03-02", "2026-03-09"]
    second = viewer.get(body["next"]).json()
    assert [r["period_start"] for r in second["results"]] == ["2026-03-16", "2026-03-23"]
    third = viewer.get(second["next"]).json()
    assert [r["period_start"] for r in third["results"]] == ["2026-03-30", "2026-04-06"]
    assert third["next"] is None


def test_anonymous_gets_401(db) -> None:
    assert Client().get("/api/kpis/").status_code == 401
    assert Client().get("/api/catalog/").status_code == 401


def test_catalog_lists_all_twenty_one_kpis(viewer) -> None:
    response = viewer.get("/api/catalog/")
    assert response.status_code == 200
    entries = response.json()
    assert isinstance(entries, list)
    assert {e["code"] for e in entries} == DOCUMENTED_CODES
    assert len(entries) == 21
    for entry in entries:
        assert {"code", "family", "label", "unit", "direction", "definition"} <= set(entry)
        assert entry["direction"] in {"higher", "lower"}
        assert entry["definition"]
        assert entry["label"]
    by_code = {e["code"]: e for e in entries}
    assert (by_code["uptime_pct"]["family"], by_code["uptime_pct"]["unit"], by_code["uptime_pct"]["direction"]) == (
        "stability",
        "%",
        "higher",
    )
    assert (by_code["support_cost"]["family"], by_code["support_cost"]["direction"]) == ("support", "lower")
    assert by_code["feature_time_pct"]["family"] == "velocity"
    assert by_code["support_cost"]["grains"] == ["month", "quarter"]
    assert by_code["change_failure_rate"]["dora_levels"] == {"elite": 5.0, "high": 10.0, "medium": 15.0}
    assert by_code["nps"]["dora_levels"] is None
