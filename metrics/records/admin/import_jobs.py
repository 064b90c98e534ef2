"""The admin's pages of background CSV imports (`metrics.records.jobs`): a progress page per job
and its JSON status, polled by static/js/import_progress.js. The uploader sees their jobs; ops
staff and admins see everyone's; anyone else gets 404 (a job's existence is not disclosed)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse

from metrics.records import jobs
from metrics.records.models import ImportJob

#: Jobs listed under the upload form.
RECENT_JOBS = 10


class ImportJobViewsMixin:
    """Mixed into `CsvAdminMixin`: `import/jobs/<id>/` and `import/jobs/<id>/status/`."""

    kind: str

    def import_job_urls(self, prefix: str, wrap: Any) -> list[Any]:
        return [
            path("import/jobs/<int:job_id>/", wrap(self.import_job_view), name=f"{prefix}_import_job"),
            path(
                "import/jobs/<int:job_id>/status/",
                wrap(self.import_job_status_view),
                name=f"{prefix}_import_job_status",
            ),
        ]

    def _job_url(self, job: ImportJob, suffix: str = "") -> str:
        opts = self.model._meta
        name = f"admin:{opts.app_label}_{opts.model_name}_import_job{suffix}"
        return reverse(name, args=[job.pk], current_app=self.admin_site.name)

    def _visible_job(self, request: HttpRequest, job_id: int) -> ImportJob:
        job = jobs.visible_jobs(request.user).filter(pk=job_id, kind=self.kind).select_related("user").first()
        if job is None:
            raise Http404("No such import.")
        return job

    def start_import_job(self, request: HttpRequest, upload: Any) -> HttpResponse:
        job = jobs.create_job(kind=self.kind, upload=upload, filename=upload.name, user=request.user)
        return HttpResponseRedirect(self._job_url(job))

    def recent_import_jobs(self, request: HttpRequest) -> list[ImportJob]:
        return list(jobs.visible_jobs(request.user).filter(kind=self.kind).select_related("user")[:RECENT_JOBS])

    def import_job_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._visible_job(request, job_id)
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "title": f"Import of {job.filename or 'a file'} ({opts.verbose_name_plural})",
            "job": job,
            "status": jobs.status(job),
            "status_url": self._job_url(job, "_status"),
        }
        return TemplateResponse(request, "admin/csv_import_job.html", context)

    def import_job_status_view(self, request: HttpRequest, job_id: int) -> JsonResponse:
        response = JsonResponse(jobs.status(self._visible_job(request, job_id)))
        response["Cache-Control"] = "no-store"
        return response
