"""Writes coalesce their rollup enqueues (issue 15, defect 9): 676 posts once queued ~700
incremental rollups (3 minutes to drain); now at most one waits at a time."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from productops import celery_app

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued(monkeypatch, settings):  # type: ignore[no-untyped-def]
    """Count rollup_dirty messages instead of sending or running them."""
    settings.KPI_ROLLUP_ON_COMMIT = True
    sent: list[tuple] = []
    celery_app.loader.import_default_modules()
    task = celery_app.tasks["metrics.rollup_dirty"]
    monkeypatch.setattr(task, "delay", lambda *a, **k: sent.append(a))
    monkeypatch.setattr(task, "apply_async", lambda *a, **k: sent.append(a))
    return sent


def test_many_writes_leave_at_most_one_pending_incremental_rollup(users, enqueued,
                                                                 django_capture_on_commit_callbacks):
    client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=users['admin']).key}")
    for n in range(30):
        body = {"external_id": f"r-{n}", "squad": "alpha", "version": str(n), "status": "succeeded",
                "released_at": "2026-03-02T10:00:00Z"}
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post("/api/releases/", body, content_type="application/json").status_code == 201
    assert len(enqueued) == 1
    # Once the pending task starts, the next write enqueues again (its marks may come too late).
    celery_app.tasks["metrics.rollup_dirty"].run()
    with django_capture_on_commit_callbacks(execute=True):
        body = {"external_id": "r-late", "squad": "alpha", "version": "x", "status": "succeeded",
                "released_at": "2026-03-02T10:00:00Z"}
        assert client.post("/api/releases/", body, content_type="application/json").status_code == 201
    assert len(enqueued) == 2
