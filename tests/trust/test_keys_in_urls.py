"""Every stored key can be read and updated through the API (issue 15, defect 5).

Sources store keys like `github:owner/repo:123`, so `/` is a legitimate key character: keys
are addressed with a path that accepts `/` (and percent-encoding), the Location header is
percent-encoded, and only keys no URL can carry (`.`/`..` segments, empty segments) are
refused with a clear error.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


def api(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}", raise_request_exception=False)


def release(key: str, version: str = "1") -> dict:
    return {
        "external_id": key,
        "squad": "alpha",
        "version": version,
        "status": "succeeded",
        "released_at": "2026-03-02T10:00:00Z",
    }


@pytest.mark.parametrize("key", ["a/b", "github:acme/shop:1234", "x?y#z", "100%", "a b", "ünï/cödé"])
def test_keys_with_slashes_and_reserved_characters_work_end_to_end(users, key):
    client = api(users["admin"])
    created = client.post("/api/releases/", release(key), content_type="application/json")
    assert created.status_code == 201, created.content[:200]
    location = created["Location"]
    assert location == "/api/releases/" + quote(key, safe="/:@!~+-._") + "/"
    got = client.get(location)
    assert got.status_code == 200
    assert got.json()["external_id"] == key
    updated = client.put(location, release(key, "2"), content_type="application/json")
    assert updated.status_code == 200
    assert updated.json()["version"] == "2"
    listed = client.get("/api/releases/").json()["results"]
    assert [r["external_id"] for r in listed] == [key]


@pytest.mark.parametrize("key", [".", "..", "a/../b", "a//b", "/a", "a/", "./a"])
def test_keys_no_url_can_carry_are_refused_with_a_clear_error(users, key):
    response = api(users["admin"]).post("/api/releases/", release(key), content_type="application/json")
    assert response.status_code == 400
    assert "external_id" in response.json()
    assert "segment" in str(response.json()["external_id"])
