"""Big CSV uploads in the admin run as a background job (ImportJob) with a progress page.

Here the task runs eagerly (the embedded default); tests/integration/test_import_job_worker.py
runs the same upload through a real Celery worker.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DEFAULT_DB_ALIAS, connections
from django.urls import reverse

from audit.models import AuditEvent
from metrics.models import CustomerResponse, ImportJob, Release, Survey
from metrics.records import jobs
from metrics.records.tasks import run_import_job
from tests.factories import UserFactory
from tests.services import require_postgres

UTC = dt.UTC
RELEASES_HEADER = "external_id,squad,version,released_at,first_commit_at,status"
RESPONSES_HEADER = (
    "external_id,survey,submitted_at,account,squad,nps_score,csat_score,outcome_score,top_problem,comment"
)


def releases_csv(count: int, squad: str = "alpha", prefix: str = "rel") -> str:
    rows = [
        f"{prefix}-{i},{squad},1.{i},2026-03-{1 + i % 28:02d}T10:00:00Z,,{'rolled_back' if i % 5 == 0 else 'succeeded'}"
        for i in range(count)
    ]
    return "\n".join([RELEASES_HEADER, *rows]) + "\n"


@pytest.fixture
def big_files(settings, tmp_path):
    """Every upload over 200 bytes goes to the background; uploads land in a temp dir."""
    settings.IMPORT_ASYNC_THRESHOLD_BYTES = 200
    settings.IMPORT_UPLOAD_DIR = str(tmp_path / "uploads")
    return tmp_path / "uploads"


def upload(client, changelist: str, text: str, name: str = "data.csv"):
    url = reverse(f"admin:{changelist}_import")
    return client.post(url, {"file": SimpleUploadedFile(name, text.encode("utf-8"), "text/csv")})


def job_status(client, changelist: str, job: ImportJob):
    return client.get(reverse(f"admin:{changelist}_import_job_status", args=[job.pk]))


@pytest.mark.django_db
def test_a_small_file_is_still_previewed_in_the_request(users, client_for, squad_a, big_files):
    text = releases_csv(1)
    assert len(text.encode()) < 200
    preview = upload(client_for(users["admin"]), "metrics_release", text)
    assert preview.status_code == 200
    assert preview.context["report"].created == 1
    assert not ImportJob.objects.exists()
    assert not Release.objects.exists()  # a preview writes nothing


@pytest.mark.django_db
def test_a_big_file_runs_as_a_job_and_the_progress_endpoint_reports_the_counts(
    users, client_for, squad_a, big_files, django_capture_on_commit_callbacks
):
    Release.objects.create(
        external_id="rel-0",
        squad=squad_a,
        version="1.0",
        status="rolled_back",
        released_at=dt.datetime(2026, 3, 1, 10, tzinfo=UTC),
    )  # the file's first row, unchanged
    Release.objects.create(
        external_id="rel-1",
        squad=squad_a,
        version="old",
        status="succeeded",
        released_at=dt.datetime(2026, 3, 2, 10, tzinfo=UTC),
    )  # the second row changes its version
    client = client_for(users["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, "metrics_release", releases_csv(40), name="march.csv")
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:metrics_release_import_job", args=[job.pk])

    status = job_status(client, "metrics_release", job).json()
    assert (status["state"], status["finished"], status["percent"]) == ("done", True, 100)
    assert (status["created"], status["updated"], status["unchanged"], status["error_count"]) == (38, 1, 1, 0)
    assert (status["rows_processed"], status["rows_total"], status["rows_total_exact"]) == (40, 40, True)
    assert status["filename"] == "march.csv"
    assert status["uploaded_by"] == "admin"
    # What the file says, stored: 40 releases of alpha, every fifth rolled back.
    assert Release.objects.filter(squad=squad_a).count() == 40
    assert Release.objects.filter(status="rolled_back").count() == 8
    assert Release.objects.get(external_id="rel-1").version == "1.1"
    event = AuditEvent.objects.get(action="import")
    assert (event.user, event.extra["kind"], event.extra["filename"], event.extra["source"]) == (
        users["admin"],
        "releases",
        "march.csv",
        "admin",
    )
    assert (event.extra["created"], event.extra["updated"], event.extra["unchanged"]) == (38, 1, 1)
    assert list(big_files.iterdir()) == []  # the stored upload is gone once the job has finished

    page = client.get(response.url).content.decode()
    assert "Imported march.csv: 38 created, 1 updated, 1 unchanged." in page
    assert "import_progress.js" not in page  # finished: nothing to poll
    listing = client.get(reverse("admin:metrics_release_import")).content.decode()
    assert 'id="csv-import-jobs"' in listing
    assert "march.csv" in listing


@pytest.mark.django_db
def test_a_redelivered_task_of_a_finished_job_does_nothing(
    users, client_for, squad_a, big_files, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload(client_for(users["admin"]), "metrics_release", releases_csv(20))
    job = ImportJob.objects.get()
    before = (job.state, job.created, job.finished_at, job.attempts)
    Release.objects.filter(external_id="rel-3").update(version="edited since")
    assert run_import_job.delay(job.pk).get() == "done"  # the same message again
    job.refresh_from_db()
    assert (job.state, job.created, job.finished_at, job.attempts) == before
    assert Release.objects.get(external_id="rel-3").version == "edited since"  # not imported a second time
    assert AuditEvent.objects.filter(action="import").count() == 1


@pytest.mark.django_db
def test_a_task_lost_mid_import_runs_again_from_the_start(users, squad_a, big_files):
    """A worker killed mid-import (acks_late): the job is left "running", nothing of it written; the
    redelivered task imports the file."""
    big_files.mkdir()
    path = big_files / "lost.csv"
    path.write_text(releases_csv(30))
    job = ImportJob.objects.create(
        kind="releases",
        filename="lost.csv",
        path=str(path),
        size=path.stat().st_size,
        user=users["admin"],
        state="running",
        attempts=1,
        rows_processed=2000,
    )
    assert jobs.run_job(job.pk) == "done"
    job.refresh_from_db()
    assert (job.created, job.rows_processed, job.attempts) == (30, 30, 2)
    assert Release.objects.count() == 30


@pytest.mark.django_db
def test_a_bad_big_file_reports_line_errors_and_writes_nothing(
    users, client_for, squad_a, big_files, django_capture_on_commit_callbacks
):
    rows = [f"r-{i},nps-new,2026-03-01T09:30:00Z,Acme,alpha,9,,,invoicing," for i in range(12)]
    rows[4] = "r-4,nps-new,2026-03-02T09:30:00Z,Globex,,11,,,,"  # nps out of range
    rows[9] = "r-9,nps-new,not-a-time,Initech,nosuch,,4,,,"  # bad time, unknown squad
    client = client_for(users["ops"])
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, "metrics_customerresponse", "\n".join([RESPONSES_HEADER, *rows]))
    job = ImportJob.objects.get()
    status = job_status(client, "metrics_customerresponse", job).json()
    assert status["state"] == "failed"
    assert status["error_count"] == 3
    assert {(e["line"], e["field"]) for e in status["errors"]} == {
        (6, "nps_score"),
        (11, "submitted_at"),
        (11, "squad"),
    }
    assert not CustomerResponse.objects.exists()
    assert not Survey.objects.filter(slug="nps-new").exists()  # not even the survey the file names
    assert not AuditEvent.objects.filter(action="import").exists()
    page = client.get(response.url).content.decode()
    assert "Nothing was imported." in page
    assert "<td>6</td><td>nps_score</td>" in page


@pytest.mark.django_db
def test_a_job_whose_file_is_gone_fails_with_the_reason(users, squad_a, big_files):
    job = ImportJob.objects.create(
        kind="releases", filename="x.csv", path=str(big_files / "gone.csv"), size=10, user=users["admin"]
    )
    assert jobs.run_job(job.pk) == "failed"
    job.refresh_from_db()
    assert "cannot be read" in job.message


@pytest.mark.django_db
def test_only_the_uploader_ops_and_admins_see_a_job(
    users, client_for, squad_a, squad_b, big_files, django_capture_on_commit_callbacks
):
    other_pm = UserFactory(username="pm_bravo", role="squad_pm")
    squad_b.pm, squad_b.pm_email = other_pm, other_pm.email
    squad_b.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client_for(users["pm"]), "metrics_release", releases_csv(20))
    job = ImportJob.objects.get()
    assert (job.user, job.state, job.created) == (users["pm"], "done", 20)
    page = reverse("admin:metrics_release_import_job", args=[job.pk])
    status = reverse("admin:metrics_release_import_job_status", args=[job.pk])
    assert response.url == page
    for who in ("pm", "ops", "admin"):
        client = client_for(users[who])
        assert client.get(page).status_code == 200, who
        assert client.get(status).json()["created"] == 20, who
    for who in (other_pm, users["viewer"]):
        client = client_for(who)
        assert client.get(page).status_code in (302, 404), who.username  # not found (or no admin at all)
        assert client.get(status).status_code in (302, 404), who.username
    # The other PM's upload page lists no job of someone else.
    listing = client_for(other_pm).get(reverse("admin:metrics_release_import")).content.decode()
    assert "csv-import-jobs" not in listing
    # A job of another kind is not reachable under this kind's URL, even for admins.
    wrong = reverse("admin:metrics_incident_import_job", args=[job.pk])
    assert client_for(users["admin"]).get(wrong).status_code == 404


def test_the_status_estimates_rows_from_bytes_until_the_file_is_counted() -> None:
    job = ImportJob(kind="releases", size=1000, state="running", phase="checking", bytes_read=250, rows_processed=40)
    status = jobs.status(job)
    assert (status["rows_total"], status["rows_total_exact"], status["percent"]) == (160, False, 2)
    job.phase, job.rows_total, job.rows_processed = "writing", 150, 75
    status = jobs.status(job)
    assert (status["rows_total"], status["rows_total_exact"], status["percent"]) == (150, True, 54)


@pytest.mark.django_db
def test_a_second_delivery_while_the_first_runs_imports_nothing(users, squad_a, big_files) -> None:
    """Two deliveries at once (a redelivery while the first worker is still busy): the one that
    cannot take the job's lock leaves the job to the other."""
    require_postgres()
    big_files.mkdir()
    path = big_files / "twice.csv"
    path.write_text(releases_csv(5))
    job = ImportJob.objects.create(
        kind="releases", filename="twice.csv", path=str(path), size=path.stat().st_size, user=users["admin"]
    )
    first = connections.create_connection(DEFAULT_DB_ALIAS)  # the worker running it
    try:
        with first.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [jobs._LOCK_CLASS, job.pk])
        assert jobs.run_job(job.pk) == "running"
        assert not Release.objects.exists()
        assert path.exists()  # still the other delivery's to import
        # The other delivery ends. Unlocked explicitly: a closed session's locks go only once the
        # server has noticed, a moment later.
        with first.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [jobs._LOCK_CLASS, job.pk])
    finally:
        first.close()
    assert jobs.run_job(job.pk) == "done"
    assert Release.objects.count() == 5


def stored_job(folder, name: str, text: str, user, **fields) -> ImportJob:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text)
    return ImportJob.objects.create(
        kind="releases", filename=name, path=str(path), size=path.stat().st_size, user=user, **fields
    )


@pytest.mark.django_db
def test_a_job_whose_message_was_lost_is_sent_again_and_imported_once(users, squad_a, big_files, settings):
    """The broker lost the task (a Redis restart): the hourly recovery sends it again; a job queued
    only minutes ago is left to its own message."""
    settings.IMPORT_RESEND_AFTER = dt.timedelta(minutes=60)
    now = dt.datetime.now(UTC)
    lost = stored_job(big_files, "lost.csv", releases_csv(12, prefix="lost"), users["admin"])
    fresh = stored_job(big_files, "fresh.csv", releases_csv(3, prefix="fresh"), users["admin"])
    ImportJob.objects.filter(pk=lost.pk).update(created_at=now - dt.timedelta(minutes=61))
    ImportJob.objects.filter(pk=fresh.pk).update(created_at=now - dt.timedelta(minutes=5))

    assert jobs.resend_stalled(now=now) == [lost.pk]  # the task runs here at once (no broker in tests)
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert (lost.state, lost.created, lost.attempts) == ("done", 12, 1)
    assert fresh.state == "queued"
    assert Release.objects.filter(external_id__startswith="lost-").count() == 12
    assert not (big_files / "lost.csv").exists()  # a finished job's file is deleted
    assert jobs.resend_stalled(now=now) == []  # done: nothing to send any more


@pytest.mark.django_db
def test_a_long_running_job_is_sent_again_and_the_second_delivery_changes_nothing(users, squad_a, big_files, settings):
    settings.IMPORT_RESEND_AFTER = dt.timedelta(minutes=60)
    now = dt.datetime.now(UTC)
    started = now - dt.timedelta(minutes=90)
    job = stored_job(
        big_files, "slow.csv", releases_csv(5), users["admin"], state="running", attempts=1, started_at=started
    )
    assert jobs.resend_stalled(now=now) == [job.pk]
    job.refresh_from_db()
    # its worker was gone (nothing holds the job's lock): the new delivery imported the file
    assert (job.state, job.created, job.attempts) == ("done", 5, 2)


@pytest.mark.django_db
def test_stray_uploads_older_than_a_day_are_deleted_and_nothing_a_job_reads(users, squad_a, big_files):
    now = dt.datetime.now(UTC)
    queued = stored_job(big_files, "queued.csv", releases_csv(2), users["admin"])
    for name in ("stray-old.csv", "stray-new.csv"):
        (big_files / name).write_text("external_id\n")
    day_and_more = (now - dt.timedelta(days=1, minutes=1)).timestamp()
    for name in ("stray-old.csv", "queued.csv"):
        os.utime(big_files / name, (day_and_more, day_and_more))

    assert jobs.remove_orphan_files(now=now) == 1
    assert sorted(p.name for p in big_files.iterdir()) == ["queued.csv", "stray-new.csv"]
    assert ImportJob.objects.get(pk=queued.pk).state == "queued"


def test_the_recovery_runs_hourly_from_the_beat_schedule(settings) -> None:
    from metrics.records.tasks import recover_imports

    entry = settings.CELERY_BEAT_SCHEDULE["imports-recover"]
    assert entry["task"] == recover_imports.name
    assert 0 < entry["options"]["expires"] < 3600
