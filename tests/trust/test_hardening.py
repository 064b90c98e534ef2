"""Auth hardening (issue 5): Argon2, short sessions, inactive users refused, lockout, CSRF, CSP."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from audit import lockout
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests-only"
TWO_WEEKS = 14 * 24 * 3600


def test_argon2_hashes_new_passwords(settings, db):
    # The suite runs on productops.settings_test (MD5, for speed); production must hash with Argon2.
    from productops import settings as production
    from tests.factories import UserFactory

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    assert make_password("something long enough").startswith("argon2$")
    assert UserFactory(username="viewer", role="viewer").password.startswith("argon2$")


def test_session_lifetime_is_short_and_renewed_by_activity_only(users):
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600 < TWO_WEEKS
    assert settings.SESSION_SAVE_EVERY_REQUEST
    client = Client()
    assert client.post("/login/", {"username": "viewer", "password": PASSWORD}).status_code == 302
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_COOKIE_AGE
    # Idle past the lifetime: the stored session has expired and the next request must sign in again.
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_deactivated_users_next_session_request_is_refused(users, client_for):
    client = client_for(users["admin"])
    assert client.get("/admin/").status_code == 200
    users["admin"].is_active = False
    users["admin"].save()
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "login" in response["Location"]
    assert client.get("/api/", HTTP_ACCEPT="application/json").status_code in (401, 403)


def test_a_deactivated_users_token_is_refused(users):
    token = Token.objects.create(user=users["viewer"])
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/", HTTP_ACCEPT="application/json").status_code == 200
    users["viewer"].is_active = False
    users["viewer"].save()
    assert client.get("/api/", HTTP_ACCEPT="application/json").status_code in (401, 403)


def _sign_in(client: Client, url: str, username: str, password: str):
    return client.post(url, {"username": username, "password": password, "next": "/admin/"})


@pytest.mark.parametrize("url", ["/login/", "/admin/login/"])
def test_five_failed_sign_ins_lock_the_username(users, url):
    client = Client()
    for _ in range(lockout.FAILURE_LIMIT):
        response = _sign_in(client, url, "admin", "wrong")
        assert response.status_code == 200
        assert lockout.MESSAGE not in response.content.decode()
    response = _sign_in(client, url, "admin", PASSWORD)  # the right password, but locked
    assert response.status_code == 200
    assert lockout.MESSAGE in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="login_failed", username="admin").count() == lockout.FAILURE_LIMIT + 1
    # Other usernames from the same address are not locked below the IP limit.
    assert _sign_in(Client(), url, "pm_alpha", PASSWORD).status_code == 302
    lockout.clear(username="admin")
    assert _sign_in(Client(), url, "admin", PASSWORD).status_code == 302


def test_the_lock_holds_for_direct_authenticate_calls_too(users):
    from django.contrib.auth import authenticate

    for _ in range(lockout.FAILURE_LIMIT):
        assert authenticate(None, username="ops", password="wrong") is None
    assert authenticate(None, username="ops", password=PASSWORD) is None
    assert authenticate(None, username="viewer", password=PASSWORD) == users["viewer"]


def test_many_failures_from_one_address_throttle_the_address(users):
    """Issue 15: the address is slowed (see tests/trust/test_proxies.py for the wait ending), not locked."""
    client = Client()
    for n in range(lockout.IP_FAILURE_LIMIT):
        _sign_in(client, "/login/", f"nobody{n}", "wrong")
    response = _sign_in(client, "/login/", "viewer", PASSWORD)
    assert lockout.THROTTLE_MESSAGE in response.content.decode()
    assert "_auth_user_id" not in client.session
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert _sign_in(other, "/login/", "viewer", PASSWORD).status_code == 302


def test_success_resets_the_username_count(users):
    client = Client()
    for _ in range(lockout.FAILURE_LIMIT - 1):
        _sign_in(client, "/login/", "viewer", "wrong")
    assert _sign_in(Client(), "/login/", "viewer", PASSWORD).status_code == 302
    for _ in range(lockout.FAILURE_LIMIT - 1):
        _sign_in(client, "/login/", "viewer", "wrong")
    assert _sign_in(Client(), "/login/", "viewer", PASSWORD).status_code == 302


def test_csrf_is_required_on_session_writes_but_not_with_a_token(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["admin"])
    response = client.post("/api/releases/", {}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.content.decode()
    token = Token.objects.create(user=users["admin"])
    token_client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {token.key}")
    response = token_client.post("/api/releases/", {}, content_type="application/json")
    assert response.status_code == 400  # validation, not CSRF: token auth needs no CSRF token


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)


@pytest.mark.parametrize("url", ["/login/", "/admin/login/"])
def test_pages_carry_a_strict_csp_and_no_inline_script(url):
    response = Client().get(url)
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert script_src.split()[1:] == ["'self'"]
    assert "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert not INLINE_SCRIPT.search(response.content.decode())


def test_read_only_fields_stay_read_only_when_sent(users, squad_a):
    """No mass assignment: a client-sent `id` is ignored on create and on update."""
    token = Token.objects.create(user=users["admin"])
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    body = {
        "id": 987654,
        "external_id": "ro-1",
        "squad": "alpha",
        "version": "1",
        "status": "succeeded",
        "released_at": "2026-03-02T10:00:00Z",
    }
    response = client.post("/api/releases/", body, content_type="application/json")
    assert response.status_code == 201
    from metrics.models import Release

    release = Release.objects.get(external_id="ro-1")
    assert release.pk != 987654
    assert response.json()["id"] == release.pk
    assert client.patch("/api/releases/ro-1/", {"id": 5}, content_type="application/json").status_code == 200
    assert Release.objects.get(external_id="ro-1").pk == release.pk
