"""Background CSV imports (`ImportJob`): a file too big to import while the admin waits is stored
on disk (IMPORT_UPLOAD_DIR), and a Celery task (`metrics.records.tasks.run_import_job`) imports it
through `services.import_records` — one transaction, all rows or none, one audit event.

Exactly once: the records and the job's final state commit in the same transaction, so a
redelivered task finds the job finished and does nothing, and a task lost mid-import leaves
nothing written and runs again. Two deliveries at once are kept apart by a PostgreSQL advisory
lock on the job. Progress is written on a connection of its own, outside the import's
transaction, so the uploader's page sees it while the import runs (PostgreSQL only: SQLite
allows one writer at a time, and the embedded default runs the task inside the request anyway).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    InterfaceError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.db.models import Q, QuerySet
from django.utils import timezone

from metrics.records.ingest.importer import ImportReport, Progress
from metrics.records.models import ImportJob
from metrics.records.services import import_records
from squads.roles import is_unrestricted

logger = logging.getLogger(__name__)

#: Errors kept on the job (the rest are counted in `error_count`).
JOB_ERRORS = 100
#: Seconds between two progress writes.
PROGRESS_EVERY = 0.5
#: First key of the advisory lock a running job holds (the second is the job id).
_LOCK_CLASS = 15_001
_CHUNK = 1 << 20
#: Database errors worth retrying (a restart, a killed connection): the task retries them.
TRANSIENT = (OperationalError, InterfaceError)


def async_threshold() -> int:
    """Files larger than this many bytes are imported in the background."""
    return int(settings.IMPORT_ASYNC_THRESHOLD_BYTES)


def upload_dir() -> Path:
    return Path(settings.IMPORT_UPLOAD_DIR)


def visible_jobs(user: Any) -> QuerySet[ImportJob]:
    """The jobs `user` may see: their own; ops staff and admins see everyone's."""
    if not user.is_authenticated:
        return ImportJob.objects.none()
    if is_unrestricted(user):
        return ImportJob.objects.all()
    return ImportJob.objects.filter(user=user)


def create_job(*, kind: str, upload: IO[bytes], filename: str, user: Any, source: str = "admin") -> ImportJob:
    """Store `upload` in IMPORT_UPLOAD_DIR, record the job and queue its task once committed."""
    directory = upload_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{uuid.uuid4().hex}.csv"
    size = 0
    # O_EXCL: never write into a file someone else placed there; 0600: the upload is nobody else's.
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        chunks = upload.chunks(_CHUNK) if hasattr(upload, "chunks") else iter(lambda: upload.read(_CHUNK), b"")
        for chunk in chunks:
            out.write(chunk)
            size += len(chunk)
    job = ImportJob.objects.create(
        kind=kind, filename=filename[:255], path=str(path), size=size, user=user, source=source
    )
    transaction.on_commit(lambda: enqueue(job.pk))
    return job


def enqueue(job_id: int) -> None:
    """Send the job's task; a broker that cannot take it fails the job (rather than leave it queued)."""
    from metrics.records.tasks import run_import_job

    try:
        run_import_job.delay(job_id)
    except Exception as exc:  # noqa: BLE001 — kombu's and redis' connection errors alike
        logger.exception("could not queue import job %s", job_id)
        fail(job_id, f"the import could not be queued ({type(exc).__name__}: {exc}); upload the file again")


def resend_stalled(now: datetime | None = None) -> list[int]:
    """Send again the task of every job still queued or running IMPORT_RESEND_AFTER after it was
    queued or started; returns their ids.

    A job waits for its message: should the broker lose it (a Redis restart without persistence),
    the job would stay queued for ever. Sending the task again is safe whatever happened to the
    first: a finished job is skipped, and a delivery finding another one running it (its advisory
    lock held) does nothing."""
    cutoff = (now or timezone.now()) - settings.IMPORT_RESEND_AFTER
    stalled = list(
        ImportJob.objects.filter(
            Q(state=ImportJob.State.QUEUED, created_at__lt=cutoff)
            | Q(state=ImportJob.State.RUNNING, started_at__lt=cutoff)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for job_id in stalled:
        logger.warning("import job %s, queued or started before %s, is unfinished: task sent again", job_id, cutoff)
        enqueue(job_id)
    return stalled


def remove_orphan_files(now: datetime | None = None) -> int:
    """Delete the files in IMPORT_UPLOAD_DIR that no unfinished job reads and that are older than
    a day (younger ones may be uploads whose job is not committed yet); returns how many.

    A finished job's file is deleted when it finishes; left behind are the files of uploads whose
    job was never recorded (the request failed after storing the file) and of failed deletions."""
    directory = upload_dir()
    if not directory.is_dir():
        return 0
    cutoff = ((now or timezone.now()) - timedelta(days=1)).timestamp()
    unfinished = ImportJob.objects.filter(state__in=[ImportJob.State.QUEUED, ImportJob.State.RUNNING])
    in_use = {Path(path).name for path in unfinished.values_list("path", flat=True)}  # names are unique (uuid)
    removed = 0
    for path in directory.iterdir():
        try:
            if path.is_file() and path.name not in in_use and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except OSError:
            logger.warning("could not delete the stray upload %s", path)
    return removed


def run_job(job_id: int) -> str:
    """Run the job once; what a (re)delivered task calls. Returns the job's state afterwards.

    Transient database errors propagate (the task retries them); anything else fails the job
    with the reason, as nothing was written.
    """
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return "missing"
    if job.finished:
        return job.state  # a redelivery of a finished job: nothing to do
    writer = _ProgressWriter(job_id)
    try:
        with transaction.atomic():
            if not _claim(job_id):
                return ImportJob.State.RUNNING  # another delivery is running it right now
            writer.start()
            job = ImportJob.objects.select_related("user").get(pk=job_id)
            if job.finished:
                return job.state
            report = _import(job, writer)
            if report is not None:
                _record(job, report)  # in the import's transaction: the records and "done" commit together
    except TRANSIENT:
        raise
    except Exception as exc:  # noqa: BLE001 — a bug must show on the job, not leave it "running"
        logger.exception("import job %s crashed", job_id)
        fail(job_id, f"the import stopped on an unexpected error ({type(exc).__name__}: {exc}); nothing was written")
    finally:
        writer.close()
    job.refresh_from_db()
    if job.finished:
        discard_file(job)
    return job.state


def _import(job: ImportJob, progress: _ProgressWriter) -> ImportReport | None:
    if job.user_id is None:  # a trusted (scope-free) import must never happen on behalf of nobody
        _finish(job, ImportJob.State.FAILED, message="the account that uploaded the file no longer exists")
        return None
    try:
        stream = open(job.path, "rb")  # noqa: SIM115 — closed below
    except OSError as exc:
        _finish(
            job, ImportJob.State.FAILED, message=f"the uploaded file cannot be read ({exc.strerror}); upload it again"
        )
        return None
    with stream:
        return import_records(
            kind=job.kind, stream=stream, user=job.user, source=job.source, filename=job.filename, progress=progress
        )


def _record(job: ImportJob, report: ImportReport) -> None:
    job.created, job.updated, job.unchanged = report.created, report.updated, report.unchanged
    job.error_count = report.error_count
    job.errors = [{"line": e.line, "field": e.field, "reason": e.reason} for e in report.errors[:JOB_ERRORS]]
    job.rows_processed = report.rows_total
    if report.ok:
        job.rows_total = report.rows_total
        job.bytes_read = job.size
    _finish(job, ImportJob.State.DONE if report.ok else ImportJob.State.FAILED)


def _finish(job: ImportJob, state: str, *, message: str = "") -> None:
    job.state, job.message, job.phase, job.finished_at = state, message, "", timezone.now()
    job.save()


def fail(job_id: int, message: str) -> None:
    """Mark an unfinished job failed with `message` (nothing of it was written)."""
    ImportJob.objects.filter(pk=job_id, state__in=[ImportJob.State.QUEUED, ImportJob.State.RUNNING]).update(
        state=ImportJob.State.FAILED, message=message, phase="", finished_at=timezone.now()
    )
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is not None and job.finished:
        discard_file(job)


def discard_file(job: ImportJob) -> None:
    try:
        Path(job.path).unlink(missing_ok=True)
    except OSError:
        logger.warning("could not delete the upload of import job %s at %s", job.pk, job.path)


def _claim(job_id: int) -> bool:
    """Hold the job's advisory lock until the transaction ends (PostgreSQL); False if another has it."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, job_id])
        return bool(cursor.fetchone()[0])


class _ProgressWriter:
    """Writes a running job's progress on its own autocommit connection, at most every
    PROGRESS_EVERY seconds; best effort — a failed write never stops the import."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self._conn = connections.create_connection(DEFAULT_DB_ALIAS) if connection.vendor == "postgresql" else None
        self._last = 0.0

    def start(self) -> None:
        """Mark the job running (visible at once, on this writer's connection); an attempt more."""
        table = ImportJob._meta.db_table
        sql = (
            f"UPDATE {table} SET state = %s, started_at = %s, attempts = attempts + 1, phase = '', "  # noqa: S608
            "rows_processed = 0, bytes_read = 0 WHERE id = %s AND state IN (%s, %s)"
        )
        params = [
            ImportJob.State.RUNNING,
            timezone.now(),
            self.job_id,
            ImportJob.State.QUEUED,
            ImportJob.State.RUNNING,
        ]
        if self._conn is not None:
            try:
                with self._conn.cursor() as cursor:
                    cursor.execute(sql, params)
                    if cursor.rowcount:
                        return
            except DatabaseError:
                logger.warning("could not mark import job %s running on its own connection", self.job_id)
        # No second connection (SQLite), or the row is not visible to one (created in this
        # transaction, as in tests): mark it in the import's transaction instead.
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        if self._conn is None or now - self._last < PROGRESS_EVERY:
            return
        self._last = now
        table = self._conn.ops.quote_name(ImportJob._meta.db_table)
        try:
            with self._conn.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET phase = %s, rows_processed = %s, bytes_read = %s, "  # noqa: S608 — our table name
                    "rows_total = COALESCE(%s, rows_total) WHERE id = %s AND state = %s",
                    [
                        progress.phase,
                        progress.rows,
                        progress.position,
                        progress.rows_total,
                        self.job_id,
                        ImportJob.State.RUNNING,
                    ],
                )
        except DatabaseError:
            logger.warning("could not write the progress of import job %s", self.job_id)
            self.close()

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(DatabaseError):
                self._conn.close()
            self._conn = None


def status(job: ImportJob) -> dict[str, Any]:
    """What the progress page shows (and its JSON endpoint returns)."""
    total, exact = job.rows_total, job.rows_total is not None
    if not exact and job.bytes_read and job.rows_processed:
        total = round(job.rows_processed * job.size / job.bytes_read)  # rows so far, scaled by bytes
    if job.state == ImportJob.State.DONE:
        percent = 100
    elif job.phase == "writing" and total:
        percent = 10 + min(89, 89 * job.rows_processed // total)
    elif job.size and job.bytes_read:
        # The check pass (reading the whole file, no database) takes about a tenth of the time.
        percent = min(9, 10 * job.bytes_read // job.size)
    else:
        percent = 0
    return {
        "id": job.pk,
        "kind": job.kind,
        "filename": job.filename,
        "state": job.state,
        "finished": job.finished,
        "phase": job.phase,
        "percent": percent,
        "rows_processed": job.rows_processed,
        "rows_total": total,
        "rows_total_exact": exact,
        "bytes_read": job.bytes_read,
        "size": job.size,
        "created": job.created,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "error_count": job.error_count,
        "errors": job.errors,
        "message": job.message,
        "uploaded_by": job.user.get_username() if job.user else "",
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }
