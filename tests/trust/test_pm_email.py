"""The user named by a squad's pm_email is its PM, with write rights, without a second step
(issue 15, defect 12)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.authtoken.models import Token

from squads.models import Squad
from tests.factories import SquadFactory, UserFactory

pytestmark = pytest.mark.django_db


def api(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")


def release(external_id: str, squad: str) -> dict:
    return {
        "external_id": external_id,
        "squad": squad,
        "version": "1.0",
        "status": "succeeded",
        "released_at": "2026-03-02T10:00:00Z",
    }


def test_a_user_named_by_pm_email_can_write_the_squads_records_at_once(users):
    dana = UserFactory(username="dana", email="dana@example.com")  # no role group at all
    squad = {
        "slug": "delta",
        "name": "Delta",
        "area": "core",
        "pm_email": "Dana@Example.com",
        "monthly_cost_per_head": "9000",
        "active": True,
    }
    assert api(users["ops"]).post("/api/squads/", squad, content_type="application/json").status_code == 201
    assert Squad.objects.get(slug="delta").pm == dana
    client = api(dana)
    assert client.post("/api/releases/", release("d-1", "delta"), content_type="application/json").status_code == 201
    incident = {
        "external_id": "d-i1",
        "squad": "delta",
        "severity": 3,
        "started_at": "2026-03-03T10:00:00Z",
        "customer_impact": False,
    }
    assert client.post("/api/incidents/", incident, content_type="application/json").status_code == 201
    # Only their own squads, and only the PM's kinds.
    assert client.post("/api/releases/", release("a-1", "alpha"), content_type="application/json").status_code == 403
    assert client.post("/api/squads/", {**squad, "slug": "echo"}, content_type="application/json").status_code == 403


def test_a_user_created_after_the_squad_is_its_pm_too(db):
    SquadFactory(slug="foxtrot", name="Foxtrot", area__slug="core", pm_email="fay@example.com")
    fay = get_user_model().objects.create_user("fay", email="fay@example.com", password="pw-for-tests-only")
    assert Squad.objects.get(slug="foxtrot").pm == fay
    assert (
        api(fay).post("/api/releases/", release("f-1", "foxtrot"), content_type="application/json").status_code == 201
    )


def test_the_pm_rights_end_with_the_pm_email(users):
    gus = UserFactory(username="gus", email="gus@example.com")
    squad = SquadFactory(slug="golf", name="Golf", area__slug="core", pm_email="gus@example.com", pm=gus)
    assert gus.has_perm("metrics.add_release")
    squad.pm_email, squad.pm = "", None
    squad.save()
    gus = get_user_model().objects.get(pk=gus.pk)  # fresh permission cache
    assert not gus.has_perm("metrics.add_release")
