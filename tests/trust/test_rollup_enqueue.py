"""Writes coalesce their rollup enqueues (issue 15, defect 9): 676 posts once queued ~700
incremental rollups (3 minutes to drain); now at most one waits at a time."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from productops import celery_app

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued(monkeypatch, settings):
    """Count rollup_dirty messages instead of sending or running them."""
    settings.KPI_ROLLUP_ON_COMMIT = True
    sent: list[tuple] = []
    celery_app.loader.import_default_modules()
    task = celery_app.tasks["metrics.rollup_dirty"]
    monkeypatch.setattr(task, "delay", lambda *a, **k: sent.append(a))
    monkeypatch.setattr(task, "apply_async", lambda *a, **k: sent.append(a))
    return sent


def _post_release(client: Client, external_id: str) -> None:
    body = {
        "external_id": external_id,
        "squad": "alpha",
        "version": external_id,
        "status": "succeeded",
        "released_at": "2026-03-02T10:00:00Z",
    }
    assert client.post("/api/releases/", body, content_type="application/json").status_code == 201


def test_without_a_shared_cache_every_write_enqueues_its_rollup(
    users, enqueued, settings, django_capture_on_commit_callbacks
):
    """A flag in one process's memory could not be cleared by the worker: no coalescing then."""
    settings.KPI_ROLLUP_COALESCE = False
    client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=users['admin']).key}")
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            _post_release(client, f"r-{n}")
    assert len(enqueued) == 3


def test_many_writes_leave_at_most_one_pending_incremental_rollup(
    users, enqueued, settings, django_capture_on_commit_callbacks
):
    settings.KPI_ROLLUP_COALESCE = True  # as with CACHE_URL: web processes and workers share the flag
    client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=users['admin']).key}")
    for n in range(30):
        body = {
            "external_id": f"r-{n}",
            "squad": "alpha",
            "version": str(n),
            "status": "succeeded",
            "released_at": "2026-03-02T10:00:00Z",
        }
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post("/api/releases/", body, content_type="application/json").status_code == 201
    assert len(enqueued) == 1
    # Once the pending task starts, the next write enqueues again (its marks may come too late).
    celery_app.tasks["metrics.rollup_dirty"].run()
    with django_capture_on_commit_callbacks(execute=True):
        body = {
            "external_id": "r-late",
            "squad": "alpha",
            "version": "x",
            "status": "succeeded",
            "released_at": "2026-03-02T10:00:00Z",
        }
        assert client.post("/api/releases/", body, content_type="application/json").status_code == 201
    assert len(enqueued) == 2


# -- a lost worker and stale KPIs are reported promptly ----------------------------------------

import datetime as dt  # noqa: E402
import io  # noqa: E402

import psycopg2  # noqa: E402
from django.core.management import CommandError, call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from metrics.models import DirtyRange, RollupRun  # noqa: E402


def _fresh_success() -> None:
    now = timezone.now()
    RollupRun.objects.create(
        kind="full",
        started_at=now - dt.timedelta(minutes=5),
        finished_at=now - dt.timedelta(minutes=4),
        status="succeeded",
    )


def _check() -> str:
    try:
        call_command("rollup_status", "--check", stdout=io.StringIO())
    except CommandError as exc:
        return str(exc)
    return ""


def test_a_run_whose_worker_was_killed_shows_as_abandoned_and_stale_within_minutes(client, db):
    _fresh_success()
    # kill -9 of the worker two minutes into an incremental run: the row stays "running",
    # and no session holds the run's lock any more.
    RollupRun.objects.create(kind="incremental", started_at=timezone.now() - dt.timedelta(minutes=2))
    assert "lost its worker" in _check()
    body = client.get("/readyz").json()
    assert body["rollup"]["stale"] is True
    assert "a rollup run lost its worker" in body["rollup"]["stale_reasons"]
    # The next rollup closes the row.
    call_command("rollup_kpis", stdout=io.StringIO())
    lost = RollupRun.objects.filter(kind="incremental").order_by("started_at").first()
    assert lost.status == "failed"
    assert "worker" in lost.error


def test_a_live_run_holding_its_lock_is_not_abandoned(client, db):
    from metrics.kpis import liveness

    _fresh_success()
    run = RollupRun.objects.create(kind="incremental", started_at=timezone.now() - dt.timedelta(minutes=2))
    other = psycopg2.connect(
        dbname=connection.settings_dict["NAME"],
        user=connection.settings_dict["USER"],
        host=connection.settings_dict["HOST"],
        port=connection.settings_dict["PORT"] or 5432,
    )
    try:
        with other.cursor() as cursor:  # the worker's session, still alive
            cursor.execute("SELECT pg_advisory_lock(%s)", [liveness._key(run.pk)])
        assert _check() == ""
        assert client.get("/readyz").json()["rollup"]["stale"] is False
    finally:
        other.close()
    assert "lost its worker" in _check()  # the session ended: at once


def test_changes_waiting_too_long_make_the_kpis_stale(client, db, squad_a):
    _fresh_success()
    DirtyRange.objects.all().delete()
    DirtyRange.objects.create(scope="org", start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 1))
    assert _check() == ""
    DirtyRange.objects.update(created_at=timezone.now() - dt.timedelta(minutes=20))
    assert "waiting" in _check()
    assert client.get("/readyz").json()["rollup"]["stale"] is True
