"""A big admin upload imported by a real Celery worker (Redis broker, PostgreSQL), and the job's
progress seen from outside the import's transaction while it runs."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DEFAULT_DB_ALIAS, connections
from django.urls import reverse

from metrics.models import ImportJob, Release
from metrics.records import jobs
from metrics.records.ingest import importer
from tests.integration.test_celery_worker import ROOT
from tests.metrics.records.test_import_jobs import releases_csv
from tests.services import current_database_url, require_postgres
from tests.support.workers import stop

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _roles(role_groups):
    return


def _worker(broker: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": current_database_url(), "CELERY_BROKER_URL": broker, "DB_CONN_MAX_AGE": "0"}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "productops", "worker", "--pool=solo", "--loglevel=WARNING"]
        + ["--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_a_big_upload_is_imported_by_a_real_worker(broker_app, users, client_for, squad_a, settings, tmp_path):  # noqa: F811
    settings.IMPORT_ASYNC_THRESHOLD_BYTES = 1000
    settings.IMPORT_UPLOAD_DIR = str(tmp_path)
    settings.KPI_ROLLUP_ON_COMMIT = False  # only the import's task on the queue
    client = client_for(users["admin"])
    text = releases_csv(1000)
    response = client.post(
        reverse("admin:metrics_release_import"), {"file": SimpleUploadedFile("big.csv", text.encode(), "text/csv")}
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert job.state == "queued"  # no worker yet: the upload request did not import anything
    assert not Release.objects.exists()
    status_url = reverse("admin:metrics_release_import_job_status", args=[job.pk])
    worker = _worker(broker_app)
    try:
        deadline = time.monotonic() + 60
        status = client.get(status_url).json()
        while not status["finished"] and time.monotonic() < deadline:
            assert worker.poll() is None, "the Celery worker exited"
            time.sleep(0.3)
            status = client.get(status_url).json()
    finally:
        output = stop(worker)
    assert status["state"] == "done", (status, output.decode(errors="replace")[-3000:])
    assert (status["created"], status["updated"], status["unchanged"], status["error_count"]) == (1000, 0, 0, 0)
    assert (status["rows_processed"], status["rows_total"]) == (1000, 1000)
    assert status["started_at"] is not None
    assert Release.objects.count() == 1000
    assert Release.objects.filter(status="rolled_back").count() == 200  # every fifth row
    assert list(tmp_path.iterdir()) == []


def test_progress_is_visible_to_others_while_the_import_transaction_is_open(users, squad_a, tmp_path, monkeypatch):
    require_postgres()
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 0.0)
    monkeypatch.setattr(importer, "BATCH_SIZE", 200)
    path = tmp_path / "five-batches.csv"
    path.write_text(releases_csv(900))
    job = ImportJob.objects.create(
        kind="releases", filename="five-batches.csv", path=str(path), size=path.stat().st_size, user=users["admin"]
    )
    seen: list[tuple[str, str, int, int | None]] = []
    observer = connections.create_connection(DEFAULT_DB_ALIAS)
    write = jobs._ProgressWriter.__call__

    def and_look(self, progress) -> None:
        write(self, progress)
        with observer.cursor() as cursor:  # another session: sees only what is committed
            cursor.execute(
                "SELECT state, phase, rows_processed, rows_total FROM metrics_importjob WHERE id = %s", [job.pk]
            )
            seen.append(cursor.fetchone())
            cursor.execute("SELECT count(*) FROM metrics_release")
            seen[-1] += (cursor.fetchone()[0],)

    monkeypatch.setattr(jobs._ProgressWriter, "__call__", and_look)
    try:
        assert jobs.run_job(job.pk) == "done"
    finally:
        observer.close()
    checking = [row for row in seen if row[1] == "checking"]
    writing = [row for row in seen if row[1] == "writing"]
    assert [row[2] for row in checking] == [200, 400, 600, 800]
    assert [(row[2], row[3]) for row in writing] == [
        (200, 900),
        (400, 900),
        (600, 900),
        (800, 900),
        (900, 900),
    ]
    assert all(row[0] == "running" for row in seen)
    assert all(row[4] == 0 for row in seen)  # nothing of the import is visible before it commits
    assert Release.objects.count() == 900
