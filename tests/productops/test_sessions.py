"""Sessions are renewed by activity without a database write on every request (productops/sessions.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from productops.sessions import RENEWED_AT


def session_writes(client, url: str = "/ping/") -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return sum(
        1 for q in ctx.captured_queries if q["sql"].startswith(("UPDATE", "INSERT")) and "django_session" in q["sql"]
    )


def stored(client) -> Session:
    return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)


@pytest.mark.django_db
def test_requests_soon_after_a_write_do_not_write_the_session(users, client_for) -> None:
    client = client_for(users["viewer"])
    assert session_writes(client) == 0
    assert session_writes(client) == 0


@pytest.mark.django_db
def test_activity_after_the_renew_interval_pushes_the_expiry_forward(users, client_for) -> None:
    client = client_for(users["viewer"])
    row = stored(client)
    # The session was last renewed long ago and is about to expire (written as Django's own store would).
    plain = db.SessionStore(row.session_key)
    plain[RENEWED_AT] = int(timezone.now().timestamp()) - settings.SESSION_RENEW_SECONDS - 1
    plain.save()
    Session.objects.filter(pk=row.pk).update(expire_date=timezone.now() + timedelta(seconds=30))

    assert session_writes(client) == 1
    renewed = stored(client).expire_date
    assert renewed > timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)
    assert session_writes(client) == 0  # and not again right after


@pytest.mark.django_db
def test_a_changed_session_is_always_saved(users, client_for) -> None:
    client = client_for(users["viewer"])
    old_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    response = client.post("/logout/")
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=old_key).exists()
    assert client.get("/ping/").status_code == 302  # signed out: back to the login page
