"""The audit log records sign-ins, refusals, imports and every record change, with who and when."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.test import Client

from audit.context import acting_user
from audit.models import AuditEvent
from audit.services import record_import
from metrics.models import Baseline, Release, Target
from tests.factories import ReleaseFactory, SurveyFactory

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests-only"


def events(action: str, model_label: str | None = None) -> list[AuditEvent]:
    found = AuditEvent.objects.filter(action=action).order_by("id")
    if model_label is not None:
        found = found.filter(model_label=model_label)
    return list(found)


def test_sign_in_sign_out_and_failed_sign_in_are_recorded(users):
    client = Client()
    assert client.post("/login/", {"username": "viewer", "password": "wrong"}).status_code == 200
    [failed] = events("login_failed")
    assert failed.username == "viewer"
    assert failed.user is None
    assert failed.ip == "127.0.0.1"

    assert client.post("/login/", {"username": "viewer", "password": PASSWORD}).status_code == 302
    [login] = events("login")
    assert login.user == users["viewer"]
    assert login.username == "viewer"
    assert login.ip == "127.0.0.1"

    client.post("/logout/")
    [logout] = events("logout")
    assert logout.user == users["viewer"]


def test_create_update_delete_of_a_record_with_who_and_the_diff(users, squad_a):
    with acting_user(users["pm"]):
        ReleaseFactory(external_id="rel-x", squad=squad_a, version="1.0.0")
    [created] = events("create", "metrics.release")
    assert (created.user, created.model_label, created.object_key) == (users["pm"], "metrics.release", "rel-x")
    assert created.changes["version"] == [None, "1.0.0"]
    assert created.changes["squad_id"] == [None, squad_a.id]

    release = Release.objects.get(external_id="rel-x")
    release.version = "2.0.0"
    release.status = Release.Status.ROLLED_BACK
    with acting_user(users["admin"]):
        release.save()
    [updated] = events("update", "metrics.release")
    assert updated.user == users["admin"]
    assert updated.changes == {"version": ["1.0.0", "2.0.0"], "status": ["succeeded", "rolled_back"]}

    release.save()  # nothing changed: no event
    assert len(events("update", "metrics.release")) == 1

    with acting_user(users["admin"]):
        release.delete()
    [deleted] = events("delete")
    assert deleted.object_key == "rel-x"
    assert deleted.changes["version"] == ["2.0.0", None]


def test_models_without_loaded_values_are_diffed_too(users, squad_a):
    target = Target.objects.create(metric="nps", squad=None, value=30.0)
    target.value = 40.0
    target.save()
    [updated] = [e for e in events("update") if e.model_label == "metrics.target"]
    assert updated.changes == {"value": [30.0, 40.0]}
    assert updated.object_key == str(target.pk)

    Baseline.objects.create(name="FY25", start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31))
    SurveyFactory(slug="nps-q1")
    labels = {(e.model_label, e.object_key) for e in events("create")}
    assert ("metrics.survey", "nps-q1") in labels
    assert ("metrics.baseline", str(Baseline.objects.get().pk)) in labels


def test_a_rolled_back_write_leaves_no_audit_row(squad_a):
    before = AuditEvent.objects.count()

    def write_then_fail() -> None:
        with transaction.atomic():
            ReleaseFactory(squad=squad_a)
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError, match="abort"):
        write_then_fail()
    assert AuditEvent.objects.count() == before


def test_the_request_user_is_the_actor_of_changes_made_in_a_request(users, squad_a):
    """The middleware's context: a change made while serving a request is attributed to its user."""
    from audit.context import current_request

    class FakeRequest:
        META = {"REMOTE_ADDR": "10.1.2.3"}
        user = users["ops"]

    with current_request(FakeRequest()):
        Target.objects.create(metric="csat_pct", squad=squad_a, value=80.0)
    [event] = [e for e in events("create") if e.model_label == "metrics.target"]
    assert event.user == users["ops"]
    assert event.ip == "10.1.2.3"


def test_refused_requests_are_recorded_as_permission_denied(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["viewer"])
    assert client.post("/logout/").status_code == 403  # no CSRF token
    [denied] = events("permission_denied")
    assert denied.user == users["viewer"]
    assert denied.extra == {"method": "POST", "path": "/logout/"}


def test_record_import_writes_one_event_with_counts(users):
    record_import("releases", filename="r.csv", created=3, updated=1, unchanged=2, user=users["ops"])
    [event] = events("import")
    assert event.user == users["ops"]
    assert event.extra["kind"] == "releases"
    assert event.extra["filename"] == "r.csv"
    assert (event.extra["created"], event.extra["updated"], event.extra["unchanged"]) == (3, 1, 2)


def test_only_admins_view_the_audit_log_and_nobody_edits_it(users, client_for):
    url = "/admin/audit/auditevent/"
    record_import("releases", filename="r.csv", created=1, user=users["admin"])
    event = AuditEvent.objects.get(action="import")
    admin = client_for(users["admin"])
    assert admin.get(url).status_code == 200
    assert admin.get(url + "?action=import").status_code == 200
    assert admin.get(url + "?q=releases").status_code == 200
    assert admin.get(f"{url}{event.pk}/change/").status_code == 200  # read-only view
    assert admin.post(f"{url}{event.pk}/change/", {"action": "login"}).status_code == 403
    assert admin.get(url + "add/").status_code == 403
    assert admin.post(f"{url}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == "import"
    for role in ("ops", "pm"):
        assert client_for(users[role]).get(url).status_code == 403
    assert client_for(users["viewer"]).get(url).status_code == 302  # not staff: admin login


def test_api_and_admin_writes_are_attributed_to_their_user(users, squad_a):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=users["pm"])
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    body = {
        "external_id": "api-1",
        "squad": "alpha",
        "version": "1.0",
        "status": "succeeded",
        "released_at": "2026-03-02T10:00:00Z",
    }
    assert api.post("/api/releases/", body, content_type="application/json").status_code == 201
    [created] = events("create", "metrics.release")
    assert (created.user, created.object_key, created.ip) == (users["pm"], "api-1", "127.0.0.1")
    assert api.patch("/api/releases/api-1/", {"version": "1.1"}, content_type="application/json").status_code == 200
    [updated] = events("update", "metrics.release")
    assert updated.user == users["pm"]
    assert updated.changes == {"version": ["1.0", "1.1"]}

    admin = Client()
    admin.force_login(users["ops"])
    target = Target.objects.create(metric="nps", squad=None, value=30.0)
    response = admin.post(
        f"/admin/metrics/target/{target.pk}/change/",
        {"metric": "nps", "squad": "", "value": "35", "at_risk_margin_pct": "10"},
    )
    assert response.status_code == 302, response.content[:500]
    [changed] = events("update", "metrics.target")
    assert changed.user == users["ops"]
    assert changed.changes == {"value": [30.0, 35.0]}


def test_the_import_command_writes_one_import_event(tmp_path, squad_a):
    from django.core.management import call_command

    csv = tmp_path / "releases.csv"
    csv.write_text(
        "external_id,squad,version,released_at,first_commit_at,status\n"
        "imp-1,alpha,1.0,2026-03-02T10:00:00Z,,succeeded\n"
        "imp-2,alpha,1.1,2026-03-03T10:00:00Z,,rolled_back\n"
    )
    call_command("import_records", "releases", str(csv))
    [event] = events("import")
    assert event.extra["kind"] == "releases"
    assert event.extra["filename"] == "releases.csv"
    assert (event.extra["created"], event.extra["updated"], event.extra["unchanged"]) == (2, 0, 0)
