"""The background CSV import's task: a thin wrapper over `metrics.records.jobs.run_job`.

`acks_late`: a worker lost mid-import leaves the message to be redelivered, and the rerun is
safe (nothing of an unfinished job was written; a finished one is skipped). Transient database
errors are retried with backoff; after the last retry the job is marked failed.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from metrics.records import jobs

MAX_RETRIES = 5


@shared_task(
    name="metrics.records.run_import_job",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    ignore_result=True,
)
def run_import_job(self: Any, job_id: int) -> str:
    """Import the stored file of ImportJob `job_id`; returns the job's state."""
    try:
        return jobs.run_job(job_id)
    except jobs.TRANSIENT as exc:
        # Eagerly (no broker) the caller is the upload request: fail now rather than retry in it.
        if self.request.is_eager or self.request.retries >= self.max_retries:
            jobs.fail(job_id, f"the database was unavailable ({exc}); nothing was written, upload the file again")
            return "failed"
        raise self.retry(exc=exc, countdown=min(300, 2 ** (self.request.retries + 1))) from exc


@shared_task(name="metrics.records.recover_imports", ignore_result=True)
def recover_imports() -> dict[str, Any]:
    """Hourly: send stalled import jobs to the workers again and delete stray upload files."""
    return {"resent": jobs.resend_stalled(), "files_removed": jobs.remove_orphan_files()}
