"""CSV import (with a preview) and export for every record changelist.

Both go through the one ingest path: the preview is `import_csv(dry_run=True)`,
the confirmed import is `services.import_records` (the same import for real, plus
its audit event — the path the `import_records` command takes too), and the export writes
`KINDS[kind].columns` + `to_row` through `core.csvsafe`, so an exported
file re-imports with nothing created or updated.

Between preview and confirm the uploaded bytes wait in the user's session,
compressed, under a digest the confirm form must echo back: a confirm can only
import exactly the file that was previewed, by the user who previewed it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zlib
from collections.abc import Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from core import csvsafe
from metrics.records import jobs
from metrics.records.admin.import_jobs import ImportJobViewsMixin
from metrics.records.ingest.importer import ImportReport, import_csv
from metrics.records.ingest.kinds import KINDS, RecordKind
from metrics.records.services import import_records

#: Rows (and errors) listed in the preview; the counts above them always cover the whole file.
PREVIEW_ROWS = 500
_SESSION_KEY = "csv_import_pending"


class UploadForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="UTF-8, header row first, columns as in the import format.")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(f"the file is larger than {_megabytes(settings.IMPORT_MAX_UPLOAD_BYTES)} MB.")
        return upload


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.3g}"


class _Echo:
    """A write-only file whose write() hands the line back, for streaming CSV."""

    def write(self, value: str) -> str:
        return value


def export_rows(kind: RecordKind, queryset: QuerySet) -> Iterator[str]:
    """The CSV lines (header first) of `queryset` in the import format."""
    writer = csvsafe.writer(_Echo())
    yield writer.writerow(kind.column_names)
    related = kind.related_for_export()
    rows = queryset.select_related(*related) if related else queryset
    for instance in rows.iterator(chunk_size=2000):
        cells = kind.to_row(instance)
        yield writer.writerow([cells[name] for name in kind.column_names])


def csv_response(kind: RecordKind, queryset: QuerySet) -> StreamingHttpResponse:
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(export_rows(kind, queryset), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind.name}-{stamp}.csv"'
    return response


@admin.action(description="Export selected as CSV (import format)", permissions=["view"])
def export_selected(modeladmin: CsvAdminMixin, request: HttpRequest, queryset: QuerySet) -> StreamingHttpResponse:
    return csv_response(KINDS[modeladmin.kind], queryset)


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class CsvAdminMixin(ImportJobViewsMixin):
    """Adds `import/` (preview, then confirm; a big file: a background job with a progress page)
    and `export/` views and an export action.

    The subclass names its record kind (`kind = "releases"`).
    """

    kind: str
    change_list_template = "admin/csv_change_list.html"
    actions = [export_selected]

    # -- wiring -------------------------------------------------------------------------------

    def get_urls(self) -> list[Any]:
        opts = self.model._meta
        prefix = f"{opts.app_label}_{opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_view), name=f"{prefix}_import"),
            *self.import_job_urls(prefix, wrap),
            path("export/", wrap(self.export_view), name=f"{prefix}_export"),
            *super().get_urls(),
        ]

    def has_import_permission(self, request: HttpRequest) -> bool:
        """Importing creates and updates rows; the importer checks each row's squad on top."""
        return self.has_add_permission(request) and self.has_change_permission(request)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        extra = {"csv_can_import": self.has_import_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)

    def _changelist_url(self) -> str:
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist", current_app=self.admin_site.name)

    # -- export -------------------------------------------------------------------------------

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """The current changelist (its filters, search and ordering) as CSV."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            messages.error(request, "The filters in the link are not valid; nothing was exported.")
            return HttpResponseRedirect(self._changelist_url())
        return csv_response(KINDS[self.kind], changelist.get_queryset(request))

    # -- import -------------------------------------------------------------------------------

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Step 1: upload → dry-run preview. Step 2: confirm → the same import, for real.

        A file above IMPORT_ASYNC_THRESHOLD_BYTES skips the preview (it would take as long as the
        import): it is imported by a background job, all rows or none, and the uploader follows
        its progress page, which lists the errors if any."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        if request.method == "POST" and "confirm" in request.POST:
            return self._confirm(request)
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > jobs.async_threshold():
                request.session.pop(_SESSION_KEY, None)
                return self.start_import_job(request, upload)
            content = upload.read()
            report = self._run(request, content, dry_run=True)
            if not report.ok:
                request.session.pop(_SESSION_KEY, None)
            else:
                request.session[_SESSION_KEY] = {
                    "kind": self.kind,
                    "name": upload.name,
                    "digest": _digest(content),
                    "data": base64.b64encode(zlib.compress(content)).decode("ascii"),
                }
            return self._render(request, form=None, report=report, filename=upload.name, digest=_digest(content))
        return self._render(request, form=form)

    def _confirm(self, request: HttpRequest) -> HttpResponse:
        pending = request.session.get(_SESSION_KEY)
        if not pending or pending.get("kind") != self.kind or pending.get("digest") != request.POST.get("digest"):
            messages.error(request, "That preview has expired or was replaced; please upload the file again.")
            return HttpResponseRedirect(request.path)
        content = zlib.decompress(base64.b64decode(pending["data"]))
        report = import_records(
            kind=self.kind, stream=io.BytesIO(content), user=request.user, source="admin", filename=pending["name"]
        )
        if not report.ok:
            # The data changed since the preview (or a row is now out of the user's scope): nothing was written.
            request.session.pop(_SESSION_KEY, None)
            return self._render(request, form=None, report=report, filename=pending["name"], digest="")
        request.session.pop(_SESSION_KEY, None)
        messages.success(
            request,
            f"Imported {pending['name']}: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged.",
        )
        return HttpResponseRedirect(self._changelist_url())

    def _run(self, request: HttpRequest, content: bytes, *, dry_run: bool) -> ImportReport:
        return import_csv(kind=self.kind, stream=io.BytesIO(content), user=request.user, dry_run=dry_run)

    def _render(
        self,
        request: HttpRequest,
        *,
        form: UploadForm | None,
        report: ImportReport | None = None,
        filename: str = "",
        digest: str = "",
    ) -> TemplateResponse:
        opts = self.model._meta
        kind = KINDS[self.kind]
        context = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "title": f"Import {opts.verbose_name_plural} from CSV",
            "form": form,
            "columns": kind.column_names,
            "report": report,
            "filename": filename,
            "digest": digest,
            "preview_rows": report.rows[:PREVIEW_ROWS] if report else [],
            "rejected_rows": report.rejected if report else 0,
            "rows_more": max(0, report.rows_total - PREVIEW_ROWS) if report else 0,
            "errors_shown": report.errors[:PREVIEW_ROWS] if report else [],
            "errors_more": max(0, report.error_count - min(len(report.errors), PREVIEW_ROWS)) if report else 0,
            "max_mb": _megabytes(settings.IMPORT_MAX_UPLOAD_BYTES),
            "async_mb": _megabytes(jobs.async_threshold()),
            "recent_jobs": self.recent_import_jobs(request) if form is not None else [],
        }
        return TemplateResponse(request, "admin/csv_import.html", context)
