"""The roles of docs/roles.md through the API: every endpoint × role × method gets the status the
role table says, and the PM's squad rule holds for every way of writing."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from metrics.models import Defect, Incident, Release
from tests.factories import IncidentFactory, ReleaseFactory
from tests.support.api_support import (
    ENDPOINTS,
    ROLES,
    existing_record,
    expected_status,
    fast_password_hashing,
    payload,
    send,
)

pytestmark = pytest.mark.django_db
__all__ = ["fast_password_hashing"]  # autouse fixture

METHODS = ("GET list", "GET detail", "POST", "PUT", "PATCH", "DELETE")


def _client(role: str, users: dict, client_for) -> Client:
    return Client() if role == "anonymous" else client_for(users[role])


@pytest.mark.parametrize("path", sorted(ENDPOINTS))
@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(path: str, role: str, users, squad_a, client_for) -> None:
    endpoint = ENDPOINTS[path]
    client = _client(role, users, client_for)
    key = existing_record(path, squad_a)
    for method in METHODS:
        verb = method.split()[0]
        new_key = f"new-{role}-{verb.lower()}"
        if method == "GET list":
            response = send(client, "GET", endpoint.list_url())
        elif method == "GET detail":
            response = send(client, "GET", endpoint.detail_url(key))
        elif method == "POST":
            response = send(client, "POST", endpoint.list_url(), payload(path, new_key))
        elif method == "PUT":
            response = send(client, "PUT", endpoint.detail_url(key), payload(path, key))
        elif method == "PATCH":
            field = "name" if path == "squads" else ("account" if path == "customer-responses" else None)
            change = {field: "Renamed"} if field else {"squad": "alpha"}
            if path == "time-allocations":
                change = {"headcount": 7}
            response = send(client, "PATCH", endpoint.detail_url(key), change)
        else:
            response = send(client, "DELETE", endpoint.detail_url(key))
        want = expected_status(endpoint, role, verb)
        assert response.status_code == want, f"{role} {method} {path}: {response.status_code} {response.content!r}"
        if role == "anonymous":
            assert response.headers.get("WWW-Authenticate") == "Token"


def test_delete_is_not_offered_even_to_admin(users, squad_a, client_for) -> None:
    release = ReleaseFactory(squad=squad_a)
    response = client_for(users["admin"]).delete(f"/api/releases/{release.external_id}/")
    assert response.status_code == 405
    assert Release.objects.filter(pk=release.pk).exists()


class TestPmSquadRule:
    """A PM writes releases, incidents and defects of their own squads only."""

    @pytest.mark.parametrize("path", ["releases", "incidents", "defects"])
    def test_create_in_another_squad_is_403(self, path, users, squad_a, squad_b, client_for):
        model = {"releases": Release, "incidents": Incident, "defects": Defect}[path]
        response = send(client_for(users["pm"]), "POST", f"/api/{path}/", payload(path, "x-1", squad="bravo"))
        assert response.status_code == 403
        assert not model.objects.filter(external_id="x-1").exists()

    @pytest.mark.parametrize("method", ["PUT", "PATCH"])
    def test_change_another_squads_record_is_403(self, method, users, squad_a, squad_b, client_for):
        release = ReleaseFactory(squad=squad_b, version="1.0.0")
        data = payload("releases", release.external_id, squad="bravo") if method == "PUT" else {"version": "9"}
        response = send(client_for(users["pm"]), method, f"/api/releases/{release.external_id}/", data)
        assert response.status_code == 403
        release.refresh_from_db()
        assert release.version == "1.0.0"

    def test_moving_own_record_into_another_squad_is_403(self, users, squad_a, squad_b, client_for):
        incident = IncidentFactory(squad=squad_a)
        response = send(client_for(users["pm"]), "PATCH", f"/api/incidents/{incident.external_id}/", {"squad": "bravo"})
        assert response.status_code == 403
        incident.refresh_from_db()
        assert incident.squad_id == squad_a.id

    def test_upsert_cannot_take_over_another_squads_record(self, users, squad_a, squad_b, client_for):
        release = ReleaseFactory(squad=squad_b, external_id="deploy-77", version="1.0.0")
        response = send(
            client_for(users["pm"]), "POST", "/api/releases/", payload("releases", "deploy-77", squad="alpha")
        )
        assert response.status_code == 403
        release.refresh_from_db()
        assert (release.squad_id, release.version) == (squad_b.id, "1.0.0")

    def test_pm_token_cannot_write_another_squad(self, users, squad_a, squad_b):
        token = Token.objects.create(user=users["pm"])
        client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
        assert send(client, "POST", "/api/releases/", payload("releases", "t-1", squad="bravo")).status_code == 403
        assert send(client, "POST", "/api/releases/", payload("releases", "t-2", squad="alpha")).status_code == 201


def test_viewer_token_reads_but_cannot_write(users, squad_a) -> None:
    token = Token.objects.create(user=users["viewer"])
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert send(client, "GET", "/api/releases/").status_code == 200
    assert send(client, "POST", "/api/releases/", payload("releases", "v-1")).status_code == 403
    assert not Release.objects.filter(external_id="v-1").exists()


def test_user_without_a_role_reads_everything(squad_a) -> None:
    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory(username="nobody"))
    for endpoint in ENDPOINTS.values():
        assert client.get(endpoint.list_url()).status_code == 200
    assert client.get("/api/kpis/").status_code == 200
    assert send(client, "POST", "/api/squads/", payload("squads", "zulu")).status_code == 403


def test_bad_token_is_401(db) -> None:
    client = Client(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/releases/").status_code == 401
