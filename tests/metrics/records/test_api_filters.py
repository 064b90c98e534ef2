"""Record lists: filters by squad, area, date range and per-kind fields; pagination."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from metrics.records.api.pagination import RecordPagination
from tests.factories import (
    CustomerResponseFactory,
    DefectFactory,
    IncidentFactory,
    ReleaseFactory,
    SquadFactory,
    TimeAllocationFactory,
)
from tests.support.api_support import fast_password_hashing

pytestmark = pytest.mark.django_db
__all__ = ["fast_password_hashing"]  # autouse fixture
UTC = dt.UTC


@pytest.fixture
def viewer(users, client_for) -> Client:
    return client_for(users["viewer"])


def _keys(client: Client, url: str, **params: object) -> list[str]:
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return [row.get("external_id", row.get("slug")) for row in response.json()["results"]]


def at(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, tzinfo=UTC)


def test_releases_by_squad_area_status_and_day_range(viewer, squad_a, squad_b) -> None:
    ReleaseFactory(external_id="a1", squad=squad_a, released_at=at(1, 0))
    ReleaseFactory(external_id="a2", squad=squad_a, released_at=at(2, 23), status="rolled_back")
    ReleaseFactory(external_id="b1", squad=squad_b, released_at=at(3))
    ReleaseFactory(external_id="a3", squad=squad_a, released_at=dt.datetime(2026, 3, 3, 0, 0, tzinfo=UTC))
    url = "/api/releases/"
    assert _keys(viewer, url) == ["b1", "a3", "a2", "a1"]  # newest first
    assert _keys(viewer, url, squad="alpha") == ["a3", "a2", "a1"]
    assert _keys(viewer, url, area="growth") == ["b1"]
    assert _keys(viewer, url, status="rolled_back") == ["a2"]
    # `to` is a whole day, inclusive; `from` starts at 00:00 UTC.
    assert _keys(viewer, url, **{"from": "2026-03-02", "to": "2026-03-02"}) == ["a2"]
    assert _keys(viewer, url, **{"from": "2026-03-03"}) == ["b1", "a3"]
    assert _keys(viewer, url, squad="nobody") == []


def test_bad_filter_values_are_a_400(viewer, squad_a) -> None:
    for params in ({"from": "March"}, {"status": "exploded"}, {"severity": "x"}):
        url = "/api/incidents/" if "severity" in params else "/api/releases/"
        response = viewer.get(url, params)
        assert response.status_code == 400, (params, response.content)
        assert next(iter(params)) in response.json()


def test_incident_filters(viewer, squad_a) -> None:
    release = ReleaseFactory(external_id="r1", squad=squad_a)
    IncidentFactory(external_id="open-1", squad=squad_a, severity=1, resolved_at=None, started_at=at(5))
    IncidentFactory(
        external_id="done-1", squad=squad_a, severity=3, customer_impact=True, started_at=at(4), resolved_at=at(4, 13)
    )
    IncidentFactory(
        external_id="rel-1", squad=squad_a, caused_by_release=release, started_at=at(3), resolved_at=at(3, 14)
    )
    url = "/api/incidents/"
    assert _keys(viewer, url, open="true") == ["open-1"]
    assert _keys(viewer, url, open="false") == ["done-1", "rel-1"]
    assert _keys(viewer, url, severity=1) == ["open-1"]
    assert _keys(viewer, url, customer_impact="true") == ["done-1"]
    assert _keys(viewer, url, caused_by_release="r1") == ["rel-1"]
    assert _keys(viewer, url, **{"to": "2026-03-04"}) == ["done-1", "rel-1"]


def test_defect_response_and_allocation_filters(viewer, squad_a, squad_b) -> None:
    DefectFactory(external_id="d-prod", squad=squad_a, found_in="production", found_by="customer")
    DefectFactory(external_id="d-test", squad=squad_b)
    assert _keys(viewer, "/api/defects/", found_by="customer") == ["d-prod"]
    assert _keys(viewer, "/api/defects/", found_in="testing", area="growth") == ["d-test"]

    CustomerResponseFactory(external_id="cr-a", squad=squad_a, survey__slug="q1")
    CustomerResponseFactory(external_id="cr-none", squad=None, survey__slug="q2")
    assert _keys(viewer, "/api/customer-responses/", squad="alpha") == ["cr-a"]
    assert _keys(viewer, "/api/customer-responses/", survey="q2") == ["cr-none"]

    TimeAllocationFactory(external_id="ta-feb", squad=squad_a, month=dt.date(2026, 2, 1))
    TimeAllocationFactory(external_id="ta-mar", squad=squad_a, month=dt.date(2026, 3, 1))
    url = "/api/time-allocations/"
    assert _keys(viewer, url) == ["ta-mar", "ta-feb"]
    assert _keys(viewer, url, **{"from": "2026-03-01"}) == ["ta-mar"]
    assert _keys(viewer, url, **{"to": "2026-02-28"}) == ["ta-feb"]


def test_squad_filters(viewer, squad_a, squad_b) -> None:
    SquadFactory(slug="charlie", area=squad_a.area, active=False)
    assert _keys(viewer, "/api/squads/") == ["alpha", "bravo", "charlie"]
    assert _keys(viewer, "/api/squads/", area="payments") == ["alpha", "charlie"]
    assert _keys(viewer, "/api/squads/", active="false") == ["charlie"]


def test_pagination_is_stable_and_bounded(viewer, squad_a) -> None:
    # Twelve releases at the same moment: the id breaks the tie, so pages never overlap.
    for n in range(12):
        ReleaseFactory(external_id=f"same-{n:02d}", squad=squad_a, released_at=at(9))
    seen: list[str] = []
    url: str | None = "/api/releases/?page_size=5"
    while url:
        body = viewer.get(url).json()
        assert body["count"] == 12
        seen += [r["external_id"] for r in body["results"]]
        url = body["next"]
    assert seen == [f"same-{n:02d}" for n in reversed(range(12))]
    assert len(viewer.get("/api/releases/", {"page_size": 5000}).json()["results"]) == 12
    assert viewer.get("/api/releases/", {"page": 9}).status_code == 404


def test_page_size_defaults_to_100_and_caps_at_1000(viewer, squad_a) -> None:
    for n in range(3):
        ReleaseFactory(external_id=f"r-{n}", squad=squad_a)
    paginator = RecordPagination()
    factory = APIRequestFactory()
    assert paginator.get_page_size(Request(factory.get("/api/releases/"))) == 100
    assert paginator.get_page_size(Request(factory.get("/api/releases/", {"page_size": 5000}))) == 1000
    assert paginator.get_page_size(Request(factory.get("/api/releases/", {"page_size": 250}))) == 250
    assert len(viewer.get("/api/releases/", {"page_size": 2}).json()["results"]) == 2


@pytest.mark.parametrize(
    "path", ["squads", "releases", "incidents", "defects", "customer-responses", "time-allocations"]
)
def test_list_queries_do_not_grow_with_the_page(viewer, squad_a, squad_b, path) -> None:
    """Related slugs come from joins, not one query per row (no N+1)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def make(n: int) -> None:
        for i in range(n):
            squad = squad_a if i % 2 else squad_b
            if path == "squads":
                SquadFactory(area__slug=f"area-{i}")
            elif path == "releases":
                ReleaseFactory(squad=squad)
            elif path == "incidents":
                IncidentFactory(squad=squad, caused_by_release=ReleaseFactory(squad=squad))
            elif path == "defects":
                DefectFactory(squad=squad)
            elif path == "customer-responses":
                CustomerResponseFactory(squad=squad, survey__slug=f"s-{i}")
            else:
                TimeAllocationFactory(squad=squad, survey__slug=f"t-{i}")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert viewer.get(f"/api/{path}/").status_code == 200
        return len(queries)

    make(2)
    few = count()
    make(20)
    assert count() == few
